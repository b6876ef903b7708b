"""Profiles stage: services with `profiles:` exist only when one of them is enabled.

Enabled by `--profile NAME` (repeatable) or `COMPOSE_PROFILES=a,b`; `*` enables all. A service
without `profiles:` is always enabled. An enabled service that needs a disabled one is an error
that names the profile to enable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from richcompose.config import normalize
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError


def enabled_profiles(flags: Iterable[str], environ_value: str | None) -> set[str]:
    """`--profile` flags win over COMPOSE_PROFILES, as in compose."""
    names = list(flags) or (environ_value or "").split(",")
    return {n.strip() for n in names if n.strip()}


def _profiles_of(service: Any) -> list[str]:
    if not isinstance(service, dict):
        return []
    value = normalize.string_list(service.get("profiles"))
    return [str(p) for p in value] if isinstance(value, list) else []


def apply_profiles(data: dict[str, Any], smap: SourceMap, enabled: set[str]) -> list[str]:
    """Removes disabled services from `data` in place; returns every profile named anywhere."""
    services = data.get("services")
    if not isinstance(services, dict):
        return []
    named: dict[str, None] = {}
    disabled: dict[str, list[str]] = {}
    for name, service in services.items():
        profiles = _profiles_of(service)
        named.update(dict.fromkeys(profiles))
        if profiles and "*" not in enabled and not enabled.intersection(profiles):
            disabled[name] = profiles
    for name in disabled:
        del services[name]
    for name, service in services.items():
        for target, required, path in _needs(service):
            if target in disabled:
                if not required:
                    _drop_optional(service, target)
                    continue
                wanted = " or ".join(f"--profile {p}" for p in disabled[target])
                raise ConfigError(
                    f"service {name!r} needs {target!r}, which is not enabled "
                    f"(profiles: {', '.join(disabled[target])})",
                    location=smap.locate(("services", name, *path), key=True),
                    hint=f"run with {wanted}, or add a profile of {target!r} to {name!r}")
    return sorted(named)


def _needs(service: Any) -> list[tuple[str, bool, tuple[str | int, ...]]]:
    """(service, required, where) for every service this one depends on, explicitly or not."""
    if not isinstance(service, dict):
        return []
    out: list[tuple[str, bool, tuple[str | int, ...]]] = []
    try:
        deps = normalize.depends_on_dict(service.get("depends_on"))
    except ValueError:
        deps = None
    if isinstance(deps, dict):
        for target, spec in deps.items():
            required = not (isinstance(spec, dict) and spec.get("required") is False)
            out.append((str(target), required, ("depends_on", target)))
    mode = service.get("network_mode")
    if isinstance(mode, str) and mode.startswith("service:"):
        out.append((mode.removeprefix("service:"), True, ("network_mode",)))
    for key in ("volumes_from", "links"):
        items = service.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, str) and not item.startswith("container:"):
                    out.append((item.split(":")[0], True, (key, index)))
    return out


def _drop_optional(service: dict[str, Any], target: str) -> None:
    deps = normalize.depends_on_dict(service.get("depends_on"))
    if isinstance(deps, dict):
        service["depends_on"] = {k: v for k, v in deps.items() if k != target}
