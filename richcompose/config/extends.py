"""Extends stage: `extends: {service, file}` resolved, the extending service merged over its base.

As compose-go's ApplyExtends, per document: the base is a service of the same document or of
another file (parsed and interpolated like any project file, its relative paths made absolute
against its own directory). `extends.file` is relative to the project directory, or, inside an
extended file, to that file's directory. Chains are followed; a cycle (same service of the same
file, by full path) is an error naming the chain. `!reset`/`!override` in the extending service
act on what it inherits, and then on the same service of earlier files.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.config.files import is_regular_file, resolved
from richcompose.config.merge import merge_service
from richcompose.config.paths import resolve_service_paths
from richcompose.config.source import SourceMap, Tagged
from richcompose.errors import ConfigError, Location
from richcompose.hostfs import expand_home

# Reads one file into (data, positions): parse + interpolate, supplied by the loader.
FileReader = Callable[[Path], tuple[Any, SourceMap]]


@dataclass
class _Resolver:
    read: FileReader
    home: str  # for `~` in extends.file
    files: dict[Path, tuple[Any, SourceMap]] = field(default_factory=dict)
    done: dict[tuple[str, str], Any] = field(default_factory=dict)

    def document(self, path: Path, where: Location | None) -> tuple[dict[str, Any], SourceMap]:
        if path not in self.files:
            if not is_regular_file(path, what="extends file", location=where):
                raise ConfigError(f"extends file not found: {path}", location=where,
                                  hint="fix extends.file (relative to the file that names it)")
            self.files[path] = self.read(path)
        data, smap = self.files[path]
        return (data if isinstance(data, dict) else {}), smap

    def resolve(self, services: dict[str, Any], smap: SourceMap, name: str, doc_id: str,
                directory: Path, chain: tuple[tuple[str, str], ...]) -> Any:
        """The service `name` of `services` with its extends chain applied; `directory` is
        where a relative `extends.file` starts."""
        if (doc_id, name) in self.done:
            return self.done[(doc_id, name)]
        service = services[name]
        if not isinstance(service, dict) or "extends" not in service:
            return service
        spec = service["extends"]
        where = smap.locate(("services", name, "extends"))
        if isinstance(spec, str):
            spec = {"service": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("service"), str) or (
                set(spec) - {"service", "file"}):
            raise ConfigError(f"invalid extends in service {name!r}", location=where,
                              hint="write `extends: base` or `extends: {service: base, file: f.yaml}`")
        base_name = spec["service"]
        link = (doc_id, name)
        if link in chain:
            shown = " -> ".join(f"{Path(d).name}:{s}" for d, s in (*chain, link))
            raise ConfigError(f"extends cycle: {shown}", location=where,
                              hint="one service in this chain must not extend another")
        if isinstance(spec.get("file"), str):
            other = resolved(directory / expand_home(spec["file"], self.home),
                             what="extends file",
                             location=where)
            other_data, other_map = self.document(other, where)
            base_services = other_data.get("services") or {}
            base_doc, base_map, base_dir = str(other), other_map, other.parent
        else:
            base_services, base_doc, base_map, base_dir = services, doc_id, smap, None
        if not isinstance(base_services, dict) or base_name not in base_services:
            known = list(base_services) if isinstance(base_services, dict) else []
            close = difflib.get_close_matches(base_name, known, n=1)
            raise ConfigError(f"service {name!r} extends unknown service {base_name!r}",
                              location=where, hint=f"did you mean {close[0]!r}?" if close else
                              f"services there are: {', '.join(known) or 'none'}")
        base = self.resolve(base_services, base_map, base_name, base_doc,
                            base_dir or directory, (*chain, link))
        if base_dir is not None:
            base = resolve_service_paths(base, base_dir)
        own = {k: v for k, v in service.items() if k != "extends"}
        merged = merge_service(base, base_map, ("services", base_name), own, smap,
                               ("services", name))
        # A tag also acts on the same service of the files before this one (compose-go).
        for key, value in own.items():
            if isinstance(value, Tagged):
                merged[key] = Tagged(value.tag, merged[key]) if key in merged else value
        self.done[(doc_id, name)] = merged
        return merged


def apply_extends(data: dict[str, Any], smap: SourceMap, read: FileReader, doc_id: str,
                  directory: Path, home: str) -> None:
    """Resolves every `extends` in `data['services']`, in place; `doc_id` is the file's full
    path, `directory` the project directory, `home` what `~` means."""
    services = data.get("services")
    if not isinstance(services, dict):
        return
    resolver = _Resolver(read, home)
    for name in list(services):
        services[name] = resolver.resolve(services, smap, name, doc_id, directory, ())
