"""A service's networking as the engine needs it: set up before `runc create`, torn down after
`runc delete`. Translates the service's compose keys into NetworkManager calls and returns
what the bundle stage needs (a netns path, or the host's; files to bind-mount)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.errors import NetworkError
from richcompose.network.compose import network_specs, port_specs, service_endpoints
from richcompose.network.mode import parse_network_mode
from richcompose.network.oci import file_mounts
from richcompose.network.types import Attachment, DnsConfig

if TYPE_CHECKING:
    from richcompose.config.models import Project
    from richcompose.network.manager import NetworkManager

HOST_FILES = Attachment("", Path(""), hosts_file=Path("/etc/hosts"),
                        resolv_file=Path("/etc/resolv.conf"))


@dataclass(frozen=True)
class ContainerNetwork:
    """What the bundle gets: join `netns_path`, or use the host's network when `host`."""

    netns_path: str | None
    host: bool
    mounts: tuple[dict[str, Any], ...]


def connect(
    manager: NetworkManager,
    project: Project,
    service_name: str,
    container_id: str,
    files_dir: Path,
    container_of: Callable[[str], str],
) -> ContainerNetwork:
    """Create the container's netns and attach it (or find the namespace it joins).

    `container_of(service)` names the container of another service (for `service:NAME`).
    """
    service = project.services[service_name]
    try:
        mode = parse_network_mode(service.network_mode)
        if mode.kind == "host":
            return ContainerNetwork(None, True, _mounts(HOST_FILES))
        if mode.kind in ("service", "container"):
            target = container_of(mode.target) if mode.kind == "service" else mode.target
            joined = manager.attachment(target)
            if joined is None:
                raise NetworkError(f"network_mode {service.network_mode}: {target} has no "
                                   "network namespace richcompose knows",
                                   hint="the target must be a running richcompose container")
            return ContainerNetwork(str(joined.netns_path), False, _mounts(joined))
        if mode.kind == "none" and not _joined(project, service_name):
            # runc makes the namespace and brings up its loopback (a fresh netns in the spec):
            # no named netns, no CNI, no store record. Only a namespace another service joins
            # (`service:NAME`) needs a name.
            files = manager.isolated_files(
                files_dir, hostname=service.hostname or service_name,
                extra_hosts=service.extra_hosts,
                dns=DnsConfig(tuple(service.dns), tuple(service.dns_search),
                              tuple(service.dns_opt)))
            return ContainerNetwork(None, False, _mounts(files))
        specs = network_specs(project.networks)
        endpoints = service_endpoints(service.networks) if mode.attaches else {}
        for name in endpoints:
            if name not in specs:
                raise NetworkError(f"service {service_name!r} uses undefined network {name!r}",
                                   hint="declare it under the top-level networks: key")
            manager.ensure_network(project.name, name, specs[name])
        path = manager.create_netns(project.name, container_id)
        attachment = manager.attach(
            project.name, container_id, service_name, path, endpoints,
            port_specs(service.ports) if mode.attaches else [],
            container_name=service.container_name or container_id,
            hostname=service.hostname or service_name,
            extra_hosts=service.extra_hosts, files_dir=files_dir,
            dns=DnsConfig(tuple(service.dns), tuple(service.dns_search), tuple(service.dns_opt)),
        )
    except NetworkError as err:
        if err.location is None:
            err.location = project.locate(("services", service_name))
        raise
    return ContainerNetwork(str(path), False, _mounts(attachment))


def planned(
    project: Project, service_name: str, container_id: str, files_dir: Path, netns_path: Path
) -> ContainerNetwork:
    """The same shape without side effects, for `richcompose render` (`netns_path`: where the
    container's own namespace would be, `NetworkManager.netns_path`)."""
    service = project.services[service_name]
    mode = parse_network_mode(service.network_mode)
    if mode.kind == "host":
        return ContainerNetwork(None, True, _mounts(HOST_FILES))
    files = Attachment(container_id, Path(""), hosts_file=files_dir / "hosts",
                       resolv_file=files_dir / "resolv.conf",
                       hostname_file=files_dir / "hostname")
    if not mode.owns_netns:
        return ContainerNetwork(f"<netns of {mode.target}>", False, _mounts(files))
    if mode.kind == "none" and not _joined(project, service_name):
        return ContainerNetwork(None, False, _mounts(files))
    return ContainerNetwork(str(netns_path), False, _mounts(files))


def _joined(project: Project, service_name: str) -> bool:
    """Whether another service shares this one's namespace (`network_mode: service:NAME`)."""
    return any(other.network_mode == f"service:{service_name}"
               for other in project.services.values())


def _mounts(files: Attachment) -> tuple[dict[str, Any], ...]:
    return tuple(file_mounts(files))
