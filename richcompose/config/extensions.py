"""`x-*` keys: taken out of the data before validation (they are the user's, never checked) and
put back into `config` output at the same place, as compose prints them."""

from __future__ import annotations

from typing import Any

from richcompose.config.source import PathKey


def split_extensions(data: Any, path: PathKey = ()) -> dict[PathKey, dict[str, Any]]:
    """Removes every `x-*` key from `data` in place; returns them by the path of their mapping."""
    found: dict[PathKey, dict[str, Any]] = {}
    if isinstance(data, dict):
        keys = [k for k in data if isinstance(k, str) and k.startswith("x-")]
        if keys:
            found[path] = {k: data.pop(k) for k in keys}
        for key, value in data.items():
            if isinstance(value, dict | list):
                found.update(split_extensions(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, dict | list):
                found.update(split_extensions(value, (*path, index)))
    return found


def restore_extensions(data: dict[str, Any], extensions: dict[PathKey, dict[str, Any]]) -> None:
    """Puts extensions back into dumped data where their mapping still exists."""
    for path, values in extensions.items():
        target = _find(data, path)
        if isinstance(target, dict):
            target.update(values)


def _find(data: Any, path: PathKey) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
