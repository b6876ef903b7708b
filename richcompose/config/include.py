"""Include stage: `include:` loads other projects and adds their resources to this one.

Each included project is loaded on its own (its own directory, its own `.env`, its own
includes), its relative paths made absolute, then its services, networks, volumes, configs and
secrets are added. A name this file also defines is an error unless both are identical, as in
compose: override an included service with an extra `-f` file instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from richcompose.config.files import is_regular_file, resolved
from richcompose.config.paths import resolve_document_paths
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError, Location

SECTIONS = ("services", "networks", "volumes", "configs", "secrets")

# Loads files as one project: (files, project_dir, env_files, files being included so far)
# → (data, positions).
ProjectReader = Callable[[list[Path], Path, list[Path], tuple[Path, ...]],
                         tuple[dict[str, Any], SourceMap]]


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


def apply_include(data: dict[str, Any], smap: SourceMap, file: Path, read: ProjectReader,
                  seen: tuple[Path, ...]) -> None:
    """Adds the resources of every included project to `data`, in place."""
    if "include" not in data:
        return
    where = smap.locate(("include",))
    here = file.parent
    for index, entry in enumerate(_entries(data.pop("include"), where)):
        at = smap.locate(("include", index)) or where
        paths = [resolved(here / p, what="included file", location=at)
                 for p in _as_list(entry["path"])]
        for path in paths:
            if path in seen:
                chain = " -> ".join(p.name for p in (*seen, path))
                raise ConfigError(f"include cycle: {chain}", location=at,
                                  hint="a file must not include itself, directly or not")
            if not is_regular_file(path, what="included file", location=at):
                raise ConfigError(f"included file not found: {path}", location=at,
                                  hint="fix the path (relative to the including file)")
        project_dir = resolved(here / entry["project_directory"], what="project directory",
                               location=at) if entry.get("project_directory") else paths[0].parent
        env_files = [resolved(here / p, what="env file", location=at)
                     for p in _as_list(entry.get("env_file"))]
        included, positions = read(paths, project_dir, env_files, seen)
        included = resolve_document_paths(included, project_dir)
        _add(data, smap, included, positions, at)


def _add(data: dict[str, Any], smap: SourceMap, included: dict[str, Any],
         positions: SourceMap, at: Location | None) -> None:
    for section in SECTIONS:
        theirs = included.get(section)
        if not isinstance(theirs, dict):
            continue
        mine = data.setdefault(section, {})
        if not isinstance(mine, dict):
            continue  # validation reports the bad section
        for name, value in theirs.items():
            if name in mine and mine[name] != value:
                raise ConfigError(
                    f"{section[:-1]} {name!r} is defined here and in an included project",
                    location=smap.locate((section, name), key=True) or at,
                    hint="rename one, or override the included one from an extra -f file")
            if name not in mine:
                mine[name] = value
                smap.copy_subtree(positions, (section, name), (section, name))
