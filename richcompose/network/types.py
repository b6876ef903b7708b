"""Plain values the network stage takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Protocol = Literal["tcp", "udp"]


@dataclass(frozen=True)
class NetworkSpec:
    """A project network as the compose file declares it (`networks:` top-level key).

    `subnet`/`gateway` empty means "allocate from the pool"; `external` means `name` is an
    existing CNI network (made by richcompose for another project, or in /etc/cni/net.d).
    """

    name: str
    subnet: str = ""
    gateway: str = ""
    internal: bool = False
    external: bool = False


@dataclass(frozen=True)
class PortMapping:
    """One published port, as the portmap plugin wants it (one entry per port of a range)."""

    container_port: int
    host_port: int
    protocol: Protocol = "tcp"
    host_ip: str = ""

    def runtime_config(self) -> dict[str, object]:
        entry: dict[str, object] = {
            "hostPort": self.host_port,
            "containerPort": self.container_port,
            "protocol": self.protocol,
        }
        if self.host_ip:
            entry["hostIP"] = self.host_ip
        return entry

    def __str__(self) -> str:
        host = self.host_ip or "0.0.0.0"
        return f"{host}:{self.host_port}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class Endpoint:
    """How a container joins one network: extra names and an optional fixed address."""

    aliases: tuple[str, ...] = ()
    ipv4_address: str = ""


@dataclass(frozen=True)
class DnsConfig:
    """A service's `dns`, `dns_search` and `dns_opt`: they replace the host's resolv.conf lines."""

    servers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostEntry:
    """One /etc/hosts line: an address and the names that resolve to it."""

    address: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Attachment:
    """What attaching a container produced: its address per network and the files to mount.

    The bundle bind-mounts `hosts_file` on /etc/hosts, `resolv_file` on /etc/resolv.conf and
    `hostname_file` on /etc/hostname; the network namespace is `netns_path`.
    """

    container_id: str
    netns_path: Path
    addresses: dict[str, str] = field(default_factory=dict)
    ports: tuple[PortMapping, ...] = ()
    hosts_file: Path | None = None
    resolv_file: Path | None = None
    hostname_file: Path | None = None
