"""`secrets:` and `configs:` of a service → the files a container gets, as docker compose
places them (pkg/compose/secrets.go):

  secret: /run/secrets/<source>, or /run/secrets/<target> for a relative target
  config: /<source>, or the target (a relative one under /)
  owner `uid`/`gid` (numeric, default 0) and `mode` (default 0444), for every source kind

Each becomes a regular file richcompose writes under the container's directory in the state
root (0700, closed to other users; never in config.json, which names only the path) and
bind-mounts read-only, nosuid, nodev, noexec. Compose ignores uid/gid/mode for `file:`
secrets; richcompose copies every source, so it honours them for all.
Deciding (this module) is separate from writing (engine/filerefs.py).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.errors import BundleError, Location

if TYPE_CHECKING:
    from richcompose.config.models import Project

SECRETS_DIR = "/run/secrets"
DEFAULT_MODE = 0o444
_MAX_ID = (1 << 32) - 2


@dataclass(frozen=True)
class FileRefMount:
    kind: str  # "secret" or "config"
    source: str  # the top-level name
    target: str  # absolute path in the container
    uid: int
    gid: int
    mode: int
    file: Path | None  # a host file to copy, or
    content: str | None  # the content itself (`content:` or an `environment:` variable's value)
    host_name: str  # the file's name in the container's files directory
    location: Location | None

    def mount(self, files_dir: Path) -> dict[str, Any]:
        return {"destination": self.target, "type": "bind",
                "source": str(files_dir / self.host_name),
                "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]}


def file_ref_mounts(project: Project, service_name: str) -> list[FileRefMount]:
    """Every secret and config the service uses, resolved; BundleError (located) when one
    cannot be: an unset environment variable, a non-numeric uid, a bad mode."""
    service = project.services[service_name]
    out: list[FileRefMount] = []
    for kind, section, refs, objects in (
            ("secret", "secrets", service.secrets, project.secrets),
            ("config", "configs", service.configs, project.configs)):
        for index, ref in enumerate(refs):
            where = project.locate(("services", service_name, section, index))
            obj = objects.get(ref.source)
            if obj is None:  # check_references reports it first; keep the error if not
                raise BundleError(f"{kind} {ref.source!r} is not defined", location=where)
            target = _target(kind, ref.source, ref.target)
            content: str | None = None
            file: Path | None = None
            if obj.environment:
                if obj.environment not in project.file_environment:
                    raise BundleError(f"environment variable {obj.environment!r} required by "
                                      f"{kind} {ref.source!r} is not set", location=where,
                                      hint=f"export {obj.environment} or add it to .env")
                content = project.file_environment[obj.environment]
            elif obj.content is not None:
                content = obj.content
            elif obj.file:
                file = Path(obj.file)  # `~` was expanded at load (config/paths.py)
                file = file if file.is_absolute() else Path(project.directory) / file
            else:
                raise BundleError(f"{kind} {ref.source!r} has no file, environment or content",
                                  location=project.locate((section, ref.source)),
                                  hint="give it one of file:, environment:, content:")
            out.append(FileRefMount(
                kind=kind, source=ref.source, target=target,
                uid=_numeric_id(ref.uid, "uid", where), gid=_numeric_id(ref.gid, "gid", where),
                mode=_mode(ref.mode, where), file=file, content=content,
                host_name=f"{section}-{index}", location=where))
    return out


def _target(kind: str, source: str, target: str | None) -> str:
    if kind == "secret":
        path = target if target and target.startswith("/") else \
            f"{SECRETS_DIR}/{target or source}"
    else:
        path = target if target and target.startswith("/") else f"/{target or source}"
    return posixpath.normpath(path)


def _numeric_id(value: str | None, what: str, where: Location | None) -> int:
    if value is None or value == "":
        return 0
    text = str(value)
    if not text.isdigit() or int(text) > _MAX_ID:
        raise BundleError(f"{what} {text!r} is not a numeric id (0..{_MAX_ID})", location=where,
                          hint=f"write the number, e.g. {what}: \"1000\"")
    return int(text)


def _mode(value: int | None, where: Location | None) -> int:
    if value is None:
        return DEFAULT_MODE
    if not 0 <= value <= 0o777:
        raise BundleError(f"mode {value:#o} is not a file permission (0..0777)", location=where,
                          hint="write it in octal, e.g. mode: 0440")
    return value
