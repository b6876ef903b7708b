"""Paths in the raw project data, before validation:

- content from another directory (`include`, `extends: {file: ...}`): relative paths mean
  "relative to that file's directory"; once merged into the project they would be read
  relative to the project directory, so they are made absolute first (`resolve_*_paths`);
- `~` (the user's home) in the same places, expanded once the project is merged
  (`expand_document_homes`), from the home of the environment the loader was given: no stage
  reads the process's own environment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from richcompose.hostfs import expand_home

Fix = Callable[[str], str]


def _abs(value: Any, base: Path) -> Any:
    if not isinstance(value, str) or not value or value.startswith("~"):
        return value  # `~` is no relative path: expand_document_homes expands it
    path = Path(value)
    return value if path.is_absolute() else str((base / path).resolve())


def _bind_source(volume: Any, fix: Fix) -> Any:
    if isinstance(volume, str):
        source, sep, rest = volume.partition(":")
        if sep and source.startswith((".", "~")):
            return f"{fix(source)}:{rest}"
        return volume
    if isinstance(volume, dict) and volume.get("type") == "bind" and isinstance(
            volume.get("source"), str):
        return {**volume, "source": fix(volume["source"])}
    return volume


def _file_list(value: Any, fix: Fix) -> Any:
    items = value if isinstance(value, list) else [value]
    out = [
        ({**item, "path": fix(item["path"])} if isinstance(item.get("path"), str) else item)
        if isinstance(item, dict) else (fix(item) if isinstance(item, str) else item)
        for item in items
    ]
    return out if isinstance(value, list) else out[0]


def _build_paths(build: dict[str, Any], fix: Fix) -> dict[str, Any]:
    """context (default "."), and additional contexts that are directories, made absolute;
    the dockerfile stays relative to the context, as compose keeps it."""
    context = build.get("context")
    remote = isinstance(context, str) and ("://" in context or context.startswith(
        ("git@", "github.com/")))  # a located error in config/build.py
    out = dict(build)
    if isinstance(context, str):
        out["context"] = context if remote else fix(context)
    contexts = build.get("additional_contexts")
    if isinstance(contexts, dict):
        out["additional_contexts"] = {
            k: v if not isinstance(v, str) or "://" in v or v.startswith("service:")
            else fix(v) for k, v in contexts.items()}
    return out


def _service_paths(service: Any, fix: Fix) -> Any:
    if not isinstance(service, dict):
        return service
    out = dict(service)
    for key in ("env_file", "label_file"):
        if key in out:
            out[key] = _file_list(out[key], fix)
    if isinstance(out.get("volumes"), list):
        out["volumes"] = [_bind_source(v, fix) for v in out["volumes"]]
    if isinstance(out.get("rootfs"), str):
        out["rootfs"] = fix(out["rootfs"])
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = fix(build)
    elif isinstance(build, dict):
        out["build"] = _build_paths(build, fix)
    extends = out.get("extends")
    if isinstance(extends, dict) and isinstance(extends.get("file"), str):
        out["extends"] = {**extends, "file": fix(extends["file"])}
    return out


def _document_paths(data: dict[str, Any], fix: Fix) -> dict[str, Any]:
    out = dict(data)
    if isinstance(out.get("services"), dict):
        out["services"] = {n: _service_paths(s, fix) for n, s in out["services"].items()}
    for section in ("configs", "secrets"):
        if isinstance(out.get(section), dict):
            out[section] = {
                n: ({**o, "file": fix(o["file"])}
                    if isinstance(o, dict) and isinstance(o.get("file"), str) else o)
                for n, o in out[section].items()}
    return out


def resolve_service_paths(service: Any, base: Path) -> Any:
    """A copy of one service's raw data with its relative paths made absolute."""
    return _service_paths(service, lambda value: _abs(value, base))


def resolve_document_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of a whole document with every service's and file object's paths absolute."""
    return _document_paths(data, lambda value: _abs(value, base))


def expand_document_homes(data: dict[str, Any], home: str) -> dict[str, Any]:
    """A copy of the merged project with `~` expanded in those paths and in
    `security_opt: [seccomp=~/profile.json]`."""
    out = _document_paths(data, lambda value: expand_home(value, home))
    for name, service in (out.get("services") or {}).items() if isinstance(
            out.get("services"), dict) else ():
        options = service.get("security_opt") if isinstance(service, dict) else None
        if isinstance(options, list):
            out["services"][name] = {**service, "security_opt": [
                _seccomp_home(o, home) if isinstance(o, str) else o for o in options]}
    return out


def _seccomp_home(option: str, home: str) -> str:
    key, sep, value = option.replace(":", "=", 1).partition("=")
    expanded = expand_home(value, home) if key == "seccomp" and sep else value
    return option if expanded == value else f"{key}={expanded}"
