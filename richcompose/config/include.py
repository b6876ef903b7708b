"""Include stage: `include:` loads other projects and adds their resources to this one.

As compose-go's ApplyInclude: each included project is loaded on its own (its own directory,
its own `.env` or the entry's `env_file`, its own includes), its relative paths made absolute,
then its services, networks, volumes, configs and secrets are added. Paths in an entry are
relative to the including project's directory. A name defined both here and in an included
project is merged, the definition already here winning (so a local service can override an
included one, `!reset` and `!override` included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from richcompose.config.files import is_regular_file, resolved
from richcompose.config.merge import merge_service
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError, Location

SECTIONS = ("services", "networks", "volumes", "configs", "secrets")


@dataclass(frozen=True)
class IncludeEntry:
    """One `include:` entry, its paths resolved."""

    files: list[Path]
    project_directory: Path
    env_files: list[Path]


# Loads an included project: entry → (data with absolute paths, positions).
ProjectReader = Callable[[IncludeEntry], tuple[dict[str, Any], SourceMap]]


def _entries(raw: Any, where: Location | None) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ConfigError("include must be a list", location=where,
                          hint="write `include: [other/compose.yaml]`")
    out = []
    for item in raw:
        entry = {"path": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str | list) or (
                set(entry) - {"path", "project_directory", "env_file"}):
            raise ConfigError("an include entry is a path or {path, project_directory, env_file}",
                              location=where, hint="see docs/reference.md#include")
        out.append(entry)
    return out


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def apply_include(data: dict[str, Any], smap: SourceMap, directory: Path,
                  seen: tuple[Path, ...], read: ProjectReader) -> None:
    """Adds the resources of every included project to `data`, in place. `directory` is the
    including project's; `seen` the files being read, this one last."""
    if "include" not in data:
        return
    where = smap.locate(("include",))
    for index, entry in enumerate(_entries(data.pop("include"), where)):
        at = smap.locate(("include", index)) or where
        paths = [resolved(directory / p, what="included file", location=at)
                 for p in _as_list(entry["path"])]
        for path in paths:
            if path in seen:
                chain = " -> ".join(p.name for p in (*seen, path))
                raise ConfigError(f"include cycle: {chain}", location=at,
                                  hint="a file must not include itself, directly or not")
            if not is_regular_file(path, what="included file", location=at):
                raise ConfigError(f"included file not found: {path}", location=at,
                                  hint="fix the path (relative to the project directory)")
        project_dir = resolved(directory / entry["project_directory"], what="project directory",
                               location=at) if entry.get("project_directory") else paths[0].parent
        env_files = [resolved(directory / p, what="env file", location=at)
                     for p in _as_list(entry.get("env_file")) if p != "/dev/null"]
        for env_file in env_files:
            if not is_regular_file(env_file, what="env file", location=at):
                raise ConfigError(f"include env_file not found: {env_file}", location=at,
                                  hint="fix the path (relative to the project directory)")
        included, positions = read(IncludeEntry(paths, project_dir, env_files))
        _add(data, smap, included, positions)


def _add(data: dict[str, Any], smap: SourceMap, included: dict[str, Any],
         positions: SourceMap) -> None:
    for section in SECTIONS:
        theirs = included.get(section)
        if not isinstance(theirs, dict):
            continue
        mine = data.setdefault(section, {})
        if not isinstance(mine, dict):
            continue  # validation reports the bad section
        for name, value in theirs.items():
            path = (section, name)
            if name not in mine:
                mine[name] = value
                smap.copy_subtree(positions, path, path)
            elif isinstance(value, dict) and isinstance(mine[name], dict):
                mine[name] = merge_service(value, positions, path, mine[name], smap, path)
