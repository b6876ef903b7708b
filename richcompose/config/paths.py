"""Resolve-paths stage for content from another directory (`include`, `extends: {file: ...}`).

Relative paths in such content mean "relative to that file's directory"; once merged into the
project they would be read relative to the project directory, so they are made absolute first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _abs(value: Any, base: Path) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if value.startswith("~"):
        return str(Path(value).expanduser())
    path = Path(value)
    return value if path.is_absolute() else str((base / path).resolve())


def _bind_source(volume: Any, base: Path) -> Any:
    if isinstance(volume, str):
        source, sep, rest = volume.partition(":")
        if sep and source.startswith((".", "~")):
            return f"{_abs(source, base)}:{rest}"
        return volume
    if isinstance(volume, dict) and volume.get("type") == "bind":
        return {**volume, "source": _abs(volume.get("source"), base)}
    return volume


def _file_list(value: Any, base: Path) -> Any:
    items = value if isinstance(value, list) else [value]
    out = [
        {**item, "path": _abs(item.get("path"), base)} if isinstance(item, dict) else _abs(item, base)
        for item in items
    ]
    return out if isinstance(value, list) else out[0]


def _build_paths(build: dict[str, Any], base: Path) -> dict[str, Any]:
    """context (default "."), and additional contexts that are directories, made absolute;
    the dockerfile stays relative to the context, as compose keeps it."""
    context = build.get("context")
    remote = isinstance(context, str) and ("://" in context or context.startswith(
        ("git@", "github.com/")))  # a located error in config/build.py
    out = dict(build)
    if context is not None:
        out["context"] = context if remote else _abs(context, base)
    contexts = build.get("additional_contexts")
    if isinstance(contexts, dict):
        out["additional_contexts"] = {
            k: v if not isinstance(v, str) or "://" in v or v.startswith("service:")
            else _abs(v, base) for k, v in contexts.items()}
    return out


def resolve_service_paths(service: Any, base: Path) -> Any:
    """A copy of one service's raw data with its relative paths made absolute."""
    if not isinstance(service, dict):
        return service
    out = dict(service)
    for key in ("env_file", "label_file"):
        if key in out:
            out[key] = _file_list(out[key], base)
    if isinstance(out.get("volumes"), list):
        out["volumes"] = [_bind_source(v, base) for v in out["volumes"]]
    if isinstance(out.get("rootfs"), str):
        out["rootfs"] = _abs(out["rootfs"], base)
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = _abs(build, base)
    elif isinstance(build, dict):
        out["build"] = _build_paths(build, base)
    extends = out.get("extends")
    if isinstance(extends, dict) and isinstance(extends.get("file"), str):
        out["extends"] = {**extends, "file": _abs(extends["file"], base)}
    return out


def resolve_document_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of a whole document with every service's and file object's paths absolute."""
    out = dict(data)
    if isinstance(out.get("services"), dict):
        out["services"] = {n: resolve_service_paths(s, base) for n, s in out["services"].items()}
    for section in ("configs", "secrets"):
        if isinstance(out.get(section), dict):
            out[section] = {
                n: ({**o, "file": _abs(o["file"], base)} if isinstance(o, dict) and "file" in o
                    else o)
                for n, o in out[section].items()}
    return out
