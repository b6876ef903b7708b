"""compose-file shapes → network values (pure).

Works on plain mappings as compose-spec defines them, so it fits the config models through
`model_dump()` as well as raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from richcompose.errors import NetworkError
from richcompose.network.types import Endpoint, NetworkSpec

DEFAULT_NETWORK = "default"


def network_specs(networks: Mapping[str, Any] | None) -> dict[str, NetworkSpec]:
    """The top-level `networks:`; a `default` network is always there unless redefined."""
    specs = {DEFAULT_NETWORK: NetworkSpec(DEFAULT_NETWORK)}
    for name, body in (networks or {}).items():
        specs[name] = network_spec(name, body or {})
    return specs


def network_spec(name: str, body: Mapping[str, Any]) -> NetworkSpec:
    driver = body.get("driver") or "bridge"
    if driver != "bridge":
        raise NetworkError(f"network {name!r}: driver {driver!r} is not supported",
                           hint="richcompose networks are CNI bridges; use driver: bridge")
    external = body.get("external")
    if isinstance(external, Mapping):  # compose v2's `external: {name: x}`
        return NetworkSpec(str(external.get("name") or body.get("name") or name), external=True)
    if external:
        return NetworkSpec(str(body.get("name") or name), external=True)
    configs = (body.get("ipam") or {}).get("config") or []
    first = configs[0] if configs else {}
    return NetworkSpec(
        name=name, subnet=str(first.get("subnet") or ""), gateway=str(first.get("gateway") or ""),
        internal=bool(body.get("internal", False)),
    )


def service_endpoints(
    service_networks: Sequence[str] | Mapping[str, Any] | None,
) -> dict[str, Endpoint]:
    """A service's `networks:` (list or mapping); none listed means the `default` network."""
    if not service_networks:
        return {DEFAULT_NETWORK: Endpoint()}
    if not isinstance(service_networks, Mapping):
        return {str(name): Endpoint() for name in service_networks}
    endpoints = {}
    for name, body in service_networks.items():
        body = body or {}
        endpoints[str(name)] = Endpoint(
            aliases=tuple(str(a) for a in body.get("aliases") or ()),
            ipv4_address=str(body.get("ipv4_address") or ""),
        )
    return endpoints
