"""Project files → validated Project: find, parse, merge, validate, name. Each stage is a function."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.config.models import Project
from richcompose.config.source import SourceMap, Tagged, read_yaml_file
from richcompose.config.validate import validate_project
from richcompose.errors import ConfigError

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


@dataclass(frozen=True)
class LoadOptions:
    files: tuple[Path, ...] = ()
    project_name: str | None = None
    project_directory: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    working_dir: Path = field(default_factory=Path.cwd)


def find_project_files(directory: Path) -> tuple[Path, ...]:
    """The default project file in `directory` or its parents, as compose looks for it."""
    for folder in (directory, *directory.parents):
        for name in DEFAULT_FILES:
            candidate = folder / name
            if candidate.is_file():
                return (candidate,)
    raise ConfigError(
        f"no project file found in {directory} or its parents",
        hint=f"create one of {', '.join(DEFAULT_FILES)} or pass -f FILE",
    )


def normalize_project_name(name: str) -> str:
    """Compose's rule: lowercase, only [a-z0-9_-], starting with a letter or digit."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")
    return cleaned


def merge_values(base: Any, override: Any) -> Any:
    """Compose's merge: mappings merge key by key, sequences of later files replace earlier ones;
    `!reset` removes a value and `!override` replaces it whole."""
    if isinstance(override, Tagged):
        return _RESET if override.tag == "!reset" else strip_tags(override.value)
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            merged = merge_values(base.get(key), value) if key in base else strip_tags(value)
            if merged is _RESET:
                out.pop(key, None)
            else:
                out[key] = merged
        return out
    return strip_tags(override)


_RESET = object()


def strip_tags(value: Any) -> Any:
    """Drops merge tags where there is nothing to merge with (a single file)."""
    if isinstance(value, Tagged):
        return None if value.tag == "!reset" else strip_tags(value.value)
    if isinstance(value, dict):
        return {k: strip_tags(v) for k, v in value.items()
                if not (isinstance(v, Tagged) and v.tag == "!reset")}
    if isinstance(value, list):
        return [strip_tags(v) for v in value]
    return value


def load_project(options: LoadOptions) -> Project:
    files = options.files or find_project_files(options.working_dir)
    files = tuple(f if f.is_absolute() else options.working_dir / f for f in files)
    smap = SourceMap()
    merged: Any = {}
    for path in files:
        data, positions = read_yaml_file(path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("a project file must be a mapping with a services: key",
                              location=positions.locate(()), hint="start the file with 'services:'")
        merged = merge_values(merged, data)
        smap.update(positions)
    directory = (options.project_directory or files[0].parent).resolve()
    name = _project_name(options, merged, directory, smap)
    merged = {k: v for k, v in merged.items() if not str(k).startswith("x-")}
    merged["name"] = name
    merged["directory"] = str(directory)
    return validate_project(merged, smap)


def _project_name(options: LoadOptions, data: Mapping[str, Any], directory: Path,
                  smap: SourceMap) -> str:
    # Precedence as compose: -p > COMPOSE_PROJECT_NAME > name: > directory name.
    raw = (options.project_name or options.environ.get("COMPOSE_PROJECT_NAME")
           or data.get("name") or directory.name)
    name = normalize_project_name(str(raw))
    if not name:
        raise ConfigError(f"project name {raw!r} has no usable characters",
                          location=smap.locate(("name",)),
                          hint="use lowercase letters, digits, '-' and '_' (or pass -p NAME)")
    return name
