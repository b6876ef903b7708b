"""Environment stages: the project's variables (shell + `.env`), and each service's final
`environment` (its `env_file`s, then `environment:`, bare names looked up in the project's)."""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from richcompose.config import normalize
from richcompose.config.dotenv import read_dotenv
from richcompose.config.files import is_regular_file, probe
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError
from richcompose.hostfs import expand_home, home_of


def project_environment(environ: Mapping[str, str], project_dir: Path,
                        env_files: Sequence[Path] = ()) -> dict[str, str]:
    """Variables for interpolation: the shell's win over `.env` (or the `--env-file`s given)."""
    values: dict[str, str] = {}
    if env_files:
        for path in env_files:
            values.update(read_dotenv(path, {**values, **environ}))
    elif _default_env_file(project_dir / ".env"):
        values.update(read_dotenv(project_dir / ".env", environ))
    return {**values, **environ}


def _default_env_file(path: Path) -> bool:
    """The project's `.env` is read when it exists; a directory of that name is ignored, as
    compose-go does, and a special file refused."""
    info = probe(path, what="env file")
    return info is not None and not stat.S_ISDIR(info.st_mode) and is_regular_file(
        path, what="env file")


def resolve_service_environment(data: dict[str, Any], smap: SourceMap, project_dir: Path,
                                environ: Mapping[str, str]) -> None:
    """Folds `env_file` and `label_file` into `environment` and `labels`, in place."""
    services = data.get("services")
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        if "env_file" in service:
            from_files = _read_files(service, "env_file", name, smap, project_dir, environ)
            if from_files is not None:
                service["environment"] = _overlay(from_files, service.get("environment"))
                del service["env_file"]
        if "label_file" in service:
            from_files = _read_files(service, "label_file", name, smap, project_dir, {})
            if from_files is not None:
                service["labels"] = _overlay(from_files, service.get("labels"), labels=True)
                del service["label_file"]
        env = service.get("environment")
        if isinstance(env, list | dict):
            try:
                resolved = normalize.environment_dict(env)
            except ValueError:
                continue  # validation reports the bad entry with its position
            service["environment"] = {
                k: (environ.get(k) if v is None else v) for k, v in resolved.items()}
        build = service.get("build")
        if isinstance(build, dict) and isinstance(build.get("args"), list | dict):
            try:
                args = normalize.environment_dict(build["args"])
            except ValueError:
                continue
            # compose: a bare build arg takes the project's value, or stays unset (dropped)
            service["build"] = {**build, "args": {
                k: (environ.get(k) if v is None else v) for k, v in args.items()}}


def _overlay(base: dict[str, str], written: Any, *, labels: bool = False) -> Any:
    try:
        mine = normalize.labels_dict(written) if labels else normalize.environment_dict(written)
    except ValueError:
        return written
    if mine is None:
        return dict(base)
    return {**base, **mine} if isinstance(mine, dict) else written


def _read_files(service: dict[str, Any], key: str, name: str, smap: SourceMap,
                project_dir: Path, environ: Mapping[str, str]) -> dict[str, str] | None:
    entries = normalize.env_file_list(service[key])
    if not isinstance(entries, list):
        return None
    values: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            return None  # malformed: validation reports it
        where = smap.locate(("services", name, key, index))
        path = project_dir / expand_home(entry["path"], home_of(environ))
        required = entry.get("required", True)
        if not is_regular_file(path, what=key, location=where):
            if required is False:
                continue
            raise ConfigError(f"{key} {entry['path']!r} of service {name!r} not found ({path})",
                              location=where,
                              hint="create the file, fix the path, or mark it `required: false`")
        values.update(read_dotenv(path, environ, location=where))
    return values
