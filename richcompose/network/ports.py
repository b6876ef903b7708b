"""Published ports: port specs (from the validated config, see network/compose.py) → portmap
entries with host ports chosen, and a free-port check."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from richcompose.errors import NetworkError
from richcompose.network.types import PortMapping, Protocol

PROTOCOLS: tuple[Protocol, ...] = ("tcp", "udp")


@dataclass(frozen=True)
class PortSpec:
    """One `ports:` entry before host ports are chosen.

    `host` None means "any free port" (compose's `- "3000"`); a host range with a single
    container port means "the first free port of the range".
    """

    container: tuple[int, int]
    host: tuple[int, int] | None = None
    protocol: Protocol = "tcp"
    host_ip: str = ""


def resolve(
    specs: Iterable[PortSpec], is_free: Callable[[int, Protocol, str], bool]
) -> list[PortMapping]:
    """Choose host ports: one mapping per container port; ranges map one to one."""
    mappings: list[PortMapping] = []
    for spec in specs:
        low, high = spec.container
        if spec.host is None:
            for port in range(low, high + 1):
                chosen = ephemeral_port(spec.protocol, spec.host_ip)
                mappings.append(PortMapping(port, chosen, spec.protocol, spec.host_ip))
        elif low == high and spec.host[0] != spec.host[1]:
            chosen = next((p for p in range(spec.host[0], spec.host[1] + 1)
                           if is_free(p, spec.protocol, spec.host_ip)), spec.host[0])
            mappings.append(PortMapping(low, chosen, spec.protocol, spec.host_ip))
        else:
            offset = spec.host[0] - low
            mappings.extend(PortMapping(p, p + offset, spec.protocol, spec.host_ip)
                            for p in range(low, high + 1))
    return mappings


def port_is_free(port: int, protocol: Protocol, host_ip: str = "") -> bool:
    """Whether a local socket could bind the host port (in the caller's network namespace)."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        # TIME_WAIT leftovers of a stopped container must not count as "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host_ip or "0.0.0.0", port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def ephemeral_port(protocol: Protocol, host_ip: str = "") -> int:
    """A port the kernel considers free right now, for `ports: ["3000"]`."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host_ip or "0.0.0.0", 0))
        return int(sock.getsockname()[1])


def ensure_free(
    service: str, mappings: Iterable[PortMapping], taken: Iterable[PortMapping] = ()
) -> None:
    """Fail before start when a host port is bound locally or published by another container."""
    published = {(m.host_port, m.protocol) for m in taken}
    for mapping in mappings:
        key = (mapping.host_port, mapping.protocol)
        if key in published or not port_is_free(*key, mapping.host_ip):
            raise NetworkError(
                f"service {service!r}: host port {mapping.host_port}/{mapping.protocol} "
                "is already in use",
                hint=f"free it or publish {mapping.container_port} on another host port",
            )


def published_address(
    mappings: Iterable[PortMapping], container_port: int, protocol: Protocol = "tcp"
) -> list[str]:
    """What `richcompose port SERVICE PORT` prints: `HOST_IP:HOST_PORT` per mapping."""
    return [f"{m.host_ip or '0.0.0.0'}:{m.host_port}" for m in mappings
            if m.container_port == container_port and m.protocol == protocol]
