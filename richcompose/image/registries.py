"""registries.conf (containers-registries.conf(5), version 2): where a name is pulled from.

A `[[registry]]` entry matches names by `prefix` (default: its `location`; `*.example.com`
matches subdomains) — the longest match wins. Its `mirror` list is tried in order, then the
`location` itself (the name with the prefix replaced); `insecure` allows plain http, `blocked`
refuses the registry. Short names (`busybox`) are tried in each `unqualified-search-registries`
entry in order (docker.io when none is set), after `[aliases]`. Drop-in files in
`registries.conf.d/*.conf` are read in name order: a later entry for the same prefix replaces
an earlier one, a later search list replaces the earlier list.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from richcompose.errors import ImageError
from richcompose.image.reference import (
    DOCKER_HUB,
    RegistryReference,
    is_loopback,
    parse_registry_reference,
)

SYSTEM_REGISTRIES_CONF = Path("/etc/containers/registries.conf")
_PULL_FROM_MIRROR = ("all", "digest-only", "tag-only")


@dataclass(frozen=True)
class Endpoint:
    """One place to pull a name from: a mirror or the registry's own location."""

    ref: RegistryReference  # the name as that endpoint knows it
    insecure: bool
    mirror: bool


@dataclass(frozen=True)
class Mirror:
    location: str
    insecure: bool = False
    pull_from_mirror: str = "all"


@dataclass(frozen=True)
class Registry:
    prefix: str
    location: str
    insecure: bool = False
    blocked: bool = False
    mirrors: tuple[Mirror, ...] = ()


@dataclass(frozen=True)
class RegistriesConf:
    registries: tuple[Registry, ...] = ()
    search: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    files: tuple[Path, ...] = ()  # what was read, for messages

    def match(self, ref: RegistryReference) -> Registry | None:
        """The entry with the longest prefix matching `ref`'s name, if any."""
        name = ref.name
        best: Registry | None = None
        for entry in self.registries:
            if _matches(entry.prefix, name) and (best is None or
                                                 len(entry.prefix) > len(best.prefix)):
                best = entry
        return best

    def candidates(self, text: str) -> list[RegistryReference]:
        """Fully qualified names to try for `text`: itself, or for a short name its alias or
        one per search registry."""
        text = text.removeprefix("docker://")
        if not is_short_name(text):
            return [parse_registry_reference(text)]
        bare = text.split("@", 1)[0]
        if ":" in bare.rsplit("/", 1)[-1]:
            bare = bare.rsplit(":", 1)[0]
        if bare in self.aliases:
            suffix = text[len(bare):]
            return [parse_registry_reference(self.aliases[bare] + suffix)]
        return [parse_registry_reference(f"{registry}/{text}") for registry in
                (self.search or (DOCKER_HUB,))]

    def endpoints(self, ref: RegistryReference) -> list[Endpoint]:
        """Mirrors in order, then the registry's location; refused if the registry is blocked."""
        entry = self.match(ref)
        if entry is None:
            return [Endpoint(ref, ref.insecure, mirror=False)]
        if entry.blocked:
            raise ImageError(f"registry {entry.prefix!r} is blocked by registries.conf; "
                             f"{ref} is not pulled", hint=_where(self.files))
        out = []
        for mirror in entry.mirrors:
            if mirror.pull_from_mirror == "digest-only" and not ref.digest:
                continue
            if mirror.pull_from_mirror == "tag-only" and ref.digest:
                continue
            out.append(Endpoint(_rewrite(ref, entry.prefix, mirror.location),
                                mirror.insecure or _loopback(mirror.location), mirror=True))
        primary = _rewrite(ref, entry.prefix, entry.location) if entry.location else ref
        out.append(Endpoint(primary, entry.insecure or primary.insecure, mirror=False))
        return out


def is_short_name(text: str) -> bool:
    """No registry host in the name: `busybox`, `team/app:1` (docker would add docker.io)."""
    first, sep, _ = text.partition("/")
    return not sep or not ("." in first or ":" in first or first == "localhost"
                           or first.startswith("["))


def load_registries_conf(path: Path | None = None,
                         drop_in_dir: Path | None = None) -> RegistriesConf:
    """Read `path` (default /etc/containers/registries.conf; a missing file is an empty
    configuration) and its `.d` directory of drop-ins."""
    path = path or SYSTEM_REGISTRIES_CONF
    drop_in_dir = drop_in_dir or path.with_name(path.name + ".d")
    files = [path] if path.is_file() else []
    if drop_in_dir.is_dir():
        files += sorted(p for p in drop_in_dir.iterdir() if p.suffix == ".conf" and p.is_file())
    registries: dict[str, Registry] = {}
    search: tuple[str, ...] = ()
    aliases: dict[str, str] = {}
    for file in files:
        doc = _read(file)
        if "registries" in doc:
            raise ImageError(f"{file} uses the version 1 format ([registries.search]), which "
                             "richcompose does not read", hint="convert it to version 2: "
                             "unqualified-search-registries and [[registry]] tables")
        if "unqualified-search-registries" in doc:
            search = tuple(_strings(doc["unqualified-search-registries"], file,
                                    "unqualified-search-registries"))
        for raw in _tables(doc.get("registry", []), file, "registry"):
            entry = _registry(raw, file)
            registries[entry.prefix] = entry
        for short, long in _mapping(doc.get("aliases", {}), file).items():
            aliases[short] = long
    return RegistriesConf(tuple(registries.values()), search, aliases, tuple(files))


def _read(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text())
    except OSError as e:
        raise ImageError(f"cannot read {file}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise ImageError(f"{file}: not valid TOML: {e}") from e


def _registry(raw: dict[str, Any], file: Path) -> Registry:
    location = _string(raw.get("location", ""), file, "location").rstrip("/")
    prefix = _string(raw.get("prefix", ""), file, "prefix").rstrip("/") or location
    if not prefix:
        raise ImageError(f"{file}: a [[registry]] entry has neither prefix nor location")
    if prefix.startswith("*.") and location:
        raise ImageError(f"{file}: registry prefix {prefix!r} is a wildcard, so it cannot have "
                         "a location", hint="remove location: (names keep their own host)")
    mirrors = []
    for m in _tables(raw.get("mirror", []), file, "registry.mirror"):
        pull_from = _string(m.get("pull-from-mirror", "all"), file, "pull-from-mirror")
        if pull_from not in _PULL_FROM_MIRROR:
            raise ImageError(f"{file}: pull-from-mirror {pull_from!r} is not one of "
                             f"{', '.join(_PULL_FROM_MIRROR)}")
        if raw.get("mirror-by-digest-only") is True:
            pull_from = "digest-only"
        mirrors.append(Mirror(_string(m.get("location", ""), file, "mirror location").rstrip("/"),
                              _bool(m.get("insecure", False), file, "insecure"), pull_from))
    return Registry(prefix, location, _bool(raw.get("insecure", False), file, "insecure"),
                    _bool(raw.get("blocked", False), file, "blocked"), tuple(mirrors))


def _matches(prefix: str, name: str) -> bool:
    if prefix.startswith("*."):
        host = name.split("/", 1)[0]
        return host.endswith(prefix[1:])
    if name == prefix:
        return True
    return name.startswith(prefix) and name[len(prefix)] in "/:@"


def _rewrite(ref: RegistryReference, prefix: str, location: str) -> RegistryReference:
    if prefix.startswith("*."):
        return ref
    rest = ref.name[len(prefix):].lstrip("/")
    target = f"{location}/{rest}" if rest else location
    host, _, repository = target.partition("/")
    if not repository:
        raise ImageError(f"registries.conf maps {ref} to {target!r}, which has no repository")
    return replace(ref, registry=host, repository=repository)


def _loopback(location: str) -> bool:
    return is_loopback(location.split("/", 1)[0])


def _where(files: Sequence[Path]) -> str:
    return "see " + ", ".join(str(f) for f in files) if files else "see registries.conf"


def _tables(value: Any, file: Path, key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ImageError(f"{file}: [[{key}]] must be an array of tables")
    return value


def _mapping(value: Any, file: Path) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ImageError(f"{file}: [aliases] must map short names to names")
    return value


def _strings(value: Any, file: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageError(f"{file}: {key} must be a list of strings")
    return value


def _string(value: Any, file: Path, key: str) -> str:
    if not isinstance(value, str):
        raise ImageError(f"{file}: {key} must be a string")
    return value


def _bool(value: Any, file: Path, key: str) -> bool:
    if not isinstance(value, bool):
        raise ImageError(f"{file}: {key} must be true or false")
    return value
