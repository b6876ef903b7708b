"""Validated config values → network values (pure).

The config stage has already parsed and checked every key (with its file location); this
module only changes the shape, so whatever `config` accepts, `up` accepts. Nothing here parses
a string of the compose file a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from richcompose.network.ports import PortSpec
from richcompose.network.types import Endpoint, NetworkSpec

if TYPE_CHECKING:
    from richcompose.config.models import Network, PortMapping, ServiceNetwork

DEFAULT_NETWORK = "default"


def network_specs(networks: Mapping[str, Network | None]) -> dict[str, NetworkSpec]:
    """The top-level `networks:`; a `default` network is always there unless redefined."""
    specs = {DEFAULT_NETWORK: NetworkSpec(DEFAULT_NETWORK)}
    for name, network in networks.items():
        specs[name] = network_spec(name, network)
    return specs


def network_spec(name: str, network: Network | None) -> NetworkSpec:
    """Every driver becomes a CNI bridge (config warns about drivers other than bridge and
    default); an external network is found by its `name`."""
    if network is None:
        return NetworkSpec(name)
    if network.external:
        return NetworkSpec(network.name or name, external=True)
    first = network.ipam_config[0] if network.ipam_config else None
    return NetworkSpec(name=name, subnet=first.subnet or "" if first else "",
                       gateway=first.gateway or "" if first else "", internal=network.internal)


def service_endpoints(networks: Mapping[str, ServiceNetwork | None]) -> dict[str, Endpoint]:
    """A service's `networks:`; none listed means the `default` network."""
    if not networks:
        return {DEFAULT_NETWORK: Endpoint()}
    return {name: Endpoint(tuple(body.aliases), body.ipv4_address or "") if body else Endpoint()
            for name, body in networks.items()}


def port_specs(ports: Sequence[PortMapping]) -> list[PortSpec]:
    """A service's `ports:` (one entry per container port, as config normalised them)."""
    return [port_spec(port) for port in ports]


def port_spec(port: PortMapping) -> PortSpec:
    host = port.published_range
    # config refuses sctp, so a port is tcp or udp here
    return PortSpec((port.target, port.target), host, "udp" if port.protocol == "udp" else "tcp",
                    port.host_ip or "")
