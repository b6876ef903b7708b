"""Choosing a subnet for a project network that collides with nothing already in use (pure)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Network

from richcompose.errors import NetworkError

DEFAULT_POOL = "10.89.0.0/16"
DEFAULT_PREFIX = 24


def allocate(
    taken: Iterable[str], *, pool: str = DEFAULT_POOL, prefix: int = DEFAULT_PREFIX
) -> IPv4Network:
    """The first `/prefix` slice of `pool` overlapping none of the `taken` networks.

    `taken` holds the subnets of every network richcompose recorded plus the routes of the
    current network namespace, so a project never lands on a LAN the host already reaches.
    """
    used = [ipaddress.ip_network(t, strict=False) for t in taken]
    for candidate in ipaddress.ip_network(pool).subnets(new_prefix=prefix):
        assert isinstance(candidate, IPv4Network)
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise NetworkError(
        f"no free /{prefix} subnet left in pool {pool}",
        hint="remove unused projects (`down`) or configure a larger subnet pool",
    )


def validate_fixed(subnet: str, gateway: str, taken: Iterable[str], name: str) -> tuple[str, str]:
    """Check a user-given `ipam.config` subnet/gateway; default the gateway to the first host."""
    try:
        network = ipaddress.ip_network(subnet)
    except ValueError as err:
        raise NetworkError(f"network {name!r}: bad subnet {subnet!r}: {err}") from None
    if not isinstance(network, IPv4Network):
        raise NetworkError(f"network {name!r}: only IPv4 subnets are supported")
    for other in taken:
        if network.overlaps(ipaddress.ip_network(other, strict=False)):
            raise NetworkError(f"network {name!r}: subnet {subnet} overlaps {other}",
                               hint="choose another ipam.config subnet")
    if not gateway:
        return str(network), str(network.network_address + 1)
    if ipaddress.ip_address(gateway) not in network:
        raise NetworkError(f"network {name!r}: gateway {gateway} is outside {subnet}")
    return str(network), gateway


def gateway_of(subnet: IPv4Network) -> str:
    return str(subnet.network_address + 1)
