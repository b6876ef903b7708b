"""Merge stage: a later file (or an extending service) over an earlier one, by compose's rules.

As the compose specification and compose-go do it:
- mappings merge key by key, the later value wins;
- `command`, `entrypoint` and `healthcheck.test` are replaced whole;
- key=value lists (`environment`, `labels`, `sysctls`, `extra_hosts`, ...) and `depends_on`,
  `networks` merge as mappings, whichever syntax each file used;
- other sequences are appended; those with a natural key (`ports` by ip/published/target/proto,
  `volumes` by target, `secrets`/`configs` by target, `cap_add`, `dns`, ...) keep one entry per
  key, the later one in the earlier one's place;
- `!reset` removes a value, `!override` replaces it without merging.
Positions follow the values: the result's SourceMap says where each surviving value was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from richcompose.config import normalize
from richcompose.config.source import PathKey, SourceMap, Tagged

_REPLACE = frozenset({"command", "entrypoint"})
_AS_MAPPING = frozenset({"environment", "labels", "annotations", "sysctls", "extra_hosts",
                         "depends_on", "networks", "ulimits", "storage_opt"})
_KEYED_LISTS = frozenset({"ports", "volumes", "secrets", "configs", "devices", "env_file",
                          "label_file", "expose", "dns", "dns_opt", "dns_search", "cap_add",
                          "cap_drop", "links", "external_links", "profiles", "tmpfs",
                          "group_add", "device_cgroup_rules"})
_RESET = object()


@dataclass
class _Sides:
    """Where the two inputs' positions live, and where the result's go."""

    base: SourceMap
    over: SourceMap
    out: SourceMap


def merge_documents(base: Any, base_map: SourceMap, over: Any, over_map: SourceMap
                    ) -> tuple[Any, SourceMap]:
    """Merges two whole project documents (two -f files, or include'd resources)."""
    out_map = SourceMap()
    out_map.update(base_map)
    out_map.update(over_map)
    merged = _merge(base, over, (), (), (), _Sides(base_map, over_map, out_map))
    return (None if merged is _RESET else merged), out_map


def merge_service(base: Any, base_map: SourceMap, base_path: PathKey,
                  over: Any, out_map: SourceMap, over_path: PathKey) -> Any:
    """Merges an extending service over the service it extends; positions of inherited keys
    are copied from `base_map` at `base_path` into `out_map` at `over_path`."""
    out_map.copy_subtree(base_map, base_path, over_path, overwrite=False)
    merged = _merge(base, over, base_path, over_path, over_path, _Sides(base_map, out_map, out_map))
    return {} if merged is _RESET else merged


def strip_tags(value: Any) -> Any:
    """Drops merge tags where there is nothing to merge with (a single file)."""
    if isinstance(value, Tagged):
        return None if value.tag == "!reset" else strip_tags(value.value)
    if isinstance(value, dict):
        return {k: strip_tags(v) for k, v in value.items()
                if not (isinstance(v, Tagged) and v.tag == "!reset")}
    if isinstance(value, list):
        return [strip_tags(v) for v in value if not (isinstance(v, Tagged) and v.tag == "!reset")]
    return value


def _service_key(path: PathKey) -> str | None:
    """The service-level key a path is at (`ports` for ('services', 'web', 'ports'))."""
    if len(path) == 3 and path[0] == "services" and isinstance(path[2], str):
        return path[2]
    return None


def _merge(base: Any, over: Any, bpath: PathKey, opath: PathKey, path: PathKey,
           sides: _Sides) -> Any:
    if isinstance(over, Tagged):
        if over.tag == "!reset":
            return _RESET
        sides.out.copy_subtree(sides.over, opath, path)
        return strip_tags(over.value)
    if isinstance(base, Tagged):
        base = strip_tags(base)
    key = _service_key(path)
    if key in _REPLACE or path[-2:] == ("healthcheck", "test"):
        return strip_tags(over)
    if key in _AS_MAPPING:
        as_map = _as_mapping(key, base), _as_mapping(key, over)
        if as_map[0] is not None and as_map[1] is not None:
            base, over = as_map
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, value in over.items():
            merged = (_merge(base[k], value, (*bpath, k), (*opath, k), (*path, k), sides)
                      if k in base else strip_tags(value))
            if merged is _RESET:
                out.pop(k, None)
            else:
                out[k] = merged
        return out
    if isinstance(base, list) and isinstance(over, list):
        return _merge_lists(key, base, strip_tags(over), bpath, opath, path, sides)
    return strip_tags(over)


def _merge_lists(key: str | None, base: list[Any], over: list[Any], bpath: PathKey,
                 opath: PathKey, path: PathKey, sides: _Sides) -> list[Any]:
    # Each result item remembers where it came from, so positions can be moved with it.
    items: list[tuple[Any, SourceMap, PathKey]] = [
        (v, sides.base, (*bpath, i)) for i, v in enumerate(base)]
    items += [(v, sides.over, (*opath, i)) for i, v in enumerate(over)]
    indexer = _INDEXERS.get(key or "", _by_value) if key in _KEYED_LISTS else None
    if indexer is not None:
        keyed: dict[Any, int] = {}
        unique: list[tuple[Any, SourceMap, PathKey]] = []
        for item in items:
            ident = _safe_key(indexer, item[0])
            if ident is not None and ident in keyed:
                unique[keyed[ident]] = item
                continue
            if ident is not None:
                keyed[ident] = len(unique)
            unique.append(item)
        items = unique
    # Read every item's positions before writing any: the maps may be the same object.
    moves = [(source.subtree(src), (*path, index)) for index, (_, source, src) in enumerate(items)]
    for entries, dst in moves:
        sides.out.put_subtree(entries, dst)
    return [value for value, _, _ in items]


def _safe_key(indexer: Callable[[Any], Any], value: Any) -> Any:
    try:
        return indexer(value)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # a malformed item is kept as is; validation reports it


def _by_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else None


def _port_key(value: Any) -> Any:
    entries = normalize.port_list([value])
    if len(entries) != 1:
        return None
    e = entries[0]
    return (str(e.get("host_ip") or ""), str(e.get("published") or ""), str(e.get("target")),
            str(e.get("protocol") or "tcp"))


def _volume_key(value: Any) -> Any:
    entries = normalize.volume_list([value])
    return str(entries[0].get("target")) if isinstance(entries[0], dict) else None


def _file_ref_key(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return str(value.get("target") or value.get("source")) if isinstance(value, dict) else None


def _device_key(value: Any) -> Any:
    if isinstance(value, str):
        parts = value.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return str(value.get("target") or value.get("source")) if isinstance(value, dict) else None


def _env_file_key(value: Any) -> Any:
    return value if isinstance(value, str) else (value.get("path") if isinstance(value, dict)
                                                 else None)


_INDEXERS: dict[str, Callable[[Any], Any]] = {
    "ports": _port_key, "volumes": _volume_key, "secrets": _file_ref_key,
    "configs": _file_ref_key, "devices": _device_key, "env_file": _env_file_key,
    "label_file": _env_file_key,
}


def _as_mapping(key: str, value: Any) -> dict[str, Any] | None:
    """A key=value list, or a mapping, as a mapping; None when it is neither."""
    try:
        if key == "depends_on":
            converted = normalize.depends_on_dict(value)
        elif key == "networks":
            converted = normalize.network_dict(value)
        elif key == "extra_hosts":
            converted = normalize.extra_hosts_dict(value)
        elif key == "environment":
            converted = normalize.environment_dict(value)
        else:
            converted = normalize.labels_dict(value)
    except (ValueError, TypeError):
        return None
    return converted if isinstance(converted, dict) else None
