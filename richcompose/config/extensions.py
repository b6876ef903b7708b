"""`x-*` keys: taken out of the data before validation (they are the user's, never checked) and
put back into `config` output at the same place, as compose prints them."""

from __future__ import annotations

from typing import Any

from richcompose.config.source import PathKey

_SECTIONS = frozenset({"services", "networks", "volumes", "configs", "secrets", "models"})
# Service keys whose mapping keys are names the user chose (a label or a network may be x-...).
_NAMED_IN_SERVICE = frozenset({"depends_on", "networks", "environment", "labels", "annotations",
                               "sysctls", "extra_hosts", "ulimits", "storage_opt",
                               "system_services", "models"})
_NAMED_LEAVES = frozenset({"labels", "driver_opts", "options", "args"})


def _names_are_users(path: PathKey) -> bool:
    """Whether the keys of the mapping at `path` are names (services, labels...), as
    compose-go's userDefinedKeys: there `x-foo` is a name, not an extension."""
    if len(path) == 1:
        return path[0] in _SECTIONS
    if len(path) == 3 and path[0] == "services":
        return path[2] in _NAMED_IN_SERVICE
    return len(path) >= 3 and path[0] in _SECTIONS and path[-1] in _NAMED_LEAVES


def split_extensions(data: Any, path: PathKey = ()) -> dict[PathKey, dict[str, Any]]:
    """Removes every `x-*` key from `data` in place; returns them by the path of their mapping."""
    found: dict[PathKey, dict[str, Any]] = {}
    if isinstance(data, dict):
        keys = [] if _names_are_users(path) else [
            k for k in data if isinstance(k, str) and k.startswith("x-")]
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
