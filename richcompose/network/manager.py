"""NetworkManager: the network stage's facade for the engine.

Sequence for one container: `create_netns` → `attach` (before `runc create`; returns the
addresses and the hosts/resolv.conf/hostname files to bind-mount) → ... → `detach` (after
`runc delete`). `ensure_network` before the first attach, `cleanup_project` on `down`.
Every side effect is recorded in the store before it happens, so `cleanup_project` undoes
whatever a crash left.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from richcompose.errors import NetworkError
from richcompose.hostfs import safe_join
from richcompose.network import conflist, iptables, netns, ports, subnets
from richcompose.network.cni import CniCall, CniRunner
from richcompose.network.discovery import link_hosts, refresh_hosts, write_own_files
from richcompose.network.hosts import extra_host_entries, render_hosts, write_in_place
from richcompose.network.networks import destroy_network, find_system_network, make_network
from richcompose.network.ports import PortSpec
from richcompose.network.store import NetworkStore
from richcompose.network.types import (
    Attachment,
    DnsConfig,
    Endpoint,
    NetworkSpec,
    PortMapping,
)


class NetworkManager:
    """Project networks, container attachments and their clean-up under one state root."""

    def __init__(
        self,
        state_root: Path,
        cni_path: Path = Path("/usr/lib/cni"),
        *,
        subnet_pool: str = subnets.DEFAULT_POOL,
        subnet_prefix: int = subnets.DEFAULT_PREFIX,
        system_conf_dir: Path = Path("/etc/cni/net.d"),
        host_resolv_conf: Path = Path("/etc/resolv.conf"),
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.store = NetworkStore(state_root / "network", warn)
        self._scope = netns.scope_of(state_root)
        self._cni = CniRunner(cni_path, self.store.cache_dir)
        self._pool = subnet_pool
        self._prefix = subnet_prefix
        self._system_conf_dir = system_conf_dir
        self._host_resolv_conf = host_resolv_conf

    # -- networks ---------------------------------------------------------------------------

    def ensure_network(self, project: str, name: str, spec: NetworkSpec | None = None) -> str:
        """Make (or join, for `external`) a project network; returns its CNI network name."""
        spec = spec or NetworkSpec(name=name)
        known = self.store.peek()
        cni_name = known.get("projects", {}).get(project, {}).get(name)
        if cni_name and project in known.get("networks", {}).get(cni_name, {}).get("users", ()):
            # Every container of a project asks; after the first, no lock is needed: only this
            # project's `down` (which holds the project lock, as `up` does) could release it.
            return str(cni_name)
        with self.store.records() as rec:
            if spec.external:
                cni_name = spec.name or name
                if cni_name not in rec["networks"]:
                    rec["networks"][cni_name] = find_system_network(
                        self._system_conf_dir, cni_name)
            else:
                cni_name = conflist.cni_network_name(project, name)
                if cni_name not in rec["networks"]:
                    taken = [n["subnet"] for n in rec["networks"].values() if n["subnet"]]
                    rec["networks"][cni_name] = make_network(
                        self.store, taken, cni_name, spec, pool=self._pool, prefix=self._prefix,
                        scope=self._scope, owner=(project, name))
            users = rec["networks"][cni_name]["users"]
            if project not in users:
                users.append(project)
            rec["projects"].setdefault(project, {})[name] = cni_name
        return cni_name

    def _release_network(self, rec: dict[str, Any], project: str, name: str) -> None:
        """Drop a project's use of a network; the last user removes bridge, config and leases."""
        cni_name = rec["projects"].get(project, {}).pop(name, None)
        network = rec["networks"].get(cni_name) if cni_name else None
        if network is None:
            return
        if project in network["users"]:
            network["users"].remove(project)
        attached = [c for c in rec["containers"].values()
                    if any(e["cni"] == cni_name for e in c["networks"].values())]
        if network["users"] or attached:
            return
        destroy_network(self.store, cni_name, network)
        del rec["networks"][cni_name]
        if not any(n["owned"] for n in rec["networks"].values()):
            iptables.remove_idle_portmap_chains()

    # -- containers -------------------------------------------------------------------------

    def netns_path(self, container_id: str) -> Path:
        """Where a container's own namespace is (or will be): /run/netns/rc-<scope>-<id>."""
        return netns.netns_path(netns.netns_name(container_id, self._scope))

    def create_netns(self, project: str, container_id: str) -> Path:
        """A fresh named namespace for a container, recorded so a crash cannot leak it."""
        name = netns.netns_name(container_id, self._scope)
        with self.store.records() as rec:
            rec.setdefault("netns", {})[name] = project
        # Recorded first (cleanup_project finds it after a crash); made outside the lock, so
        # containers starting together do not queue behind each other's `ip netns add`.
        return netns.create(name)

    def isolated_files(self, files_dir: Path, *, hostname: str,
                       extra_hosts: Mapping[str, Sequence[str]] | None = None,
                       dns: DnsConfig | None = None) -> Attachment:
        """hosts (localhost and `extra_hosts`), resolv.conf and hostname of a container on no
        network (`network_mode: none`): its own files, so no store record and no lock."""
        record: dict[str, Any] = {"files": str(files_dir), "hostname": hostname,
                                  "dns": dataclasses.asdict(dns or DnsConfig())}
        resolv = self._host_resolv_conf
        write_own_files(record, resolv.read_text() if resolv.exists() else "")
        write_in_place(files_dir / "hosts", render_hosts(
            None, [], extra_host_entries(extra_hosts or {}, "")))
        return Attachment(container_id="", netns_path=Path(""), hosts_file=files_dir / "hosts",
                          resolv_file=files_dir / "resolv.conf",
                          hostname_file=files_dir / "hostname")

    def attach(
        self,
        project: str,
        container_id: str,
        service: str,
        netns_path: Path,
        networks: Mapping[str, Endpoint],
        published: Sequence[PortSpec] = (),
        *,
        container_name: str = "",
        hostname: str = "",
        extra_hosts: Mapping[str, Sequence[str]] | None = None,
        files_dir: Path | None = None,
        dns: DnsConfig | None = None,
    ) -> Attachment:
        """Loopback plus one interface per network (eth0, eth1, … in the given order).

        Published ports go on the first non-internal network; they are checked free first.
        The hosts files of the containers on those networks are then rewritten.

        The store lock is held to record the attachment (ports, interfaces) and then to record
        its addresses, not while the CNI plugins run: independent containers attach in
        parallel (host-local's own lock hands out the addresses).
        """
        files = files_dir or safe_join(self.store.files_dir, container_id)
        with self.store.records() as rec:
            mappings = self._choose_ports(rec, service, published)
            gateway = self._gateway(rec, project, networks)
            extra_host_entries(extra_hosts or {}, gateway)  # host-gateway needs a gateway
            record: dict[str, Any] = {
                "project": project, "service": service, "netns": str(netns_path),
                "container_name": container_name or service, "hostname": hostname or service,
                "extra_hosts": {host: list(ips) for host, ips in (extra_hosts or {}).items()},
                "files": str(files), "networks": {}, "ports": [],
                "dns": dataclasses.asdict(dns or DnsConfig()), "host_gateway": gateway,
            }
            calls = self._plan_networks(rec, record, container_id, netns_path, networks,
                                        mappings)
            rec["containers"][container_id] = record
        try:
            self._cni.add(conflist.loopback_conflist(), CniCall(container_id, netns_path, "lo"),
                          {})
            addresses = {name: _first_ipv4(self._cni.add(config, call, runtime))
                         for name, (config, call, runtime) in calls.items()}
        except NetworkError:
            # Undo this attach only; the namespace is the caller's (`detach` removes it).
            self._delete_networks(container_id)
            with self.store.records() as rec:
                self._forget(rec, container_id)
            raise
        with self.store.records() as rec:
            record = rec["containers"][container_id]
            for name, address in addresses.items():
                record["networks"][name]["ip"] = address
            self._refresh(rec, record, container_id)
        return _attachment(container_id, record)

    def _plan_networks(
        self,
        rec: dict[str, Any],
        record: dict[str, Any],
        container_id: str,
        netns_path: Path,
        networks: Mapping[str, Endpoint],
        mappings: list[PortMapping],
    ) -> dict[str, tuple[dict[str, Any], CniCall, dict[str, Any]]]:
        """Fills in the record's interfaces and ports; returns the CNI ADD per network."""
        calls = {}
        publish_on = self._publish_network(rec, record["project"], networks)
        for index, (name, endpoint) in enumerate(networks.items()):
            cni_name = self._cni_name(rec, record["project"], name)
            runtime: dict[str, Any] = {}
            if name == publish_on and mappings:
                runtime["portMappings"] = [m.runtime_config() for m in mappings]
                record["ports"] = [dataclasses.asdict(m) for m in mappings]
            if endpoint.ipv4_address:
                runtime["ips"] = [self._with_prefix(rec, cni_name, endpoint.ipv4_address)]
            ifname = f"eth{index}"
            record["networks"][name] = {"cni": cni_name, "ifname": ifname, "ip": "",
                                        "aliases": list(endpoint.aliases)}
            config = conflist.load_conflist(Path(rec["networks"][cni_name]["conflist"]))
            if "portMappings" not in runtime:
                # Nothing to map: portmap's ADD would pass the result on, and its DEL runs
                # iptables to look for chains that were never made (~7 ms each way). The CNI
                # cache keeps this chain, so DEL and CHECK run exactly what ADD ran.
                config = {**config, "plugins": [plugin for plugin in config["plugins"]
                                                if plugin.get("type") != "portmap"]}
            calls[name] = (config, CniCall(container_id, netns_path, ifname), runtime)
        return calls

    def detach(self, project: str, container_id: str) -> None:
        """DEL every CNI attachment (reverse order), delete the container's own netns, and
        rewrite the neighbours' hosts files. Safe to call twice. The plugins run without the
        store lock, as in `attach`."""
        # Read without the lock: the store file is replaced atomically, and only this
        # container's own attach or detach changes its record.
        record = self.store.peek().get("containers", {}).get(container_id)
        if record is None and not self._made_anything(container_id):
            return  # network_mode none: runc's own namespace, nothing recorded or made
        netns_path = Path(record["netns"]) if record else self.netns_path(container_id)
        self._delete_networks(container_id, netns_path)
        netns.delete(netns.netns_name(container_id, self._scope))  # still recorded: see below
        with self.store.records() as rec:
            self._detach(rec, container_id)

    def _made_anything(self, container_id: str) -> bool:
        """Whether an unrecorded container has networking left (a lost state file): a CNI
        cache or a named namespace (even a stale file)."""
        return (netns.netns_path(netns.netns_name(container_id, self._scope)).exists()
                or safe_join(self.store.cache_dir, container_id).exists())

    def _detach(self, rec: dict[str, Any], container_id: str) -> None:
        """After the CNI DELs: forget the container, delete its netns, refresh the hosts."""
        record = self._forget(rec, container_id)
        name = netns.netns_name(container_id, self._scope)
        netns.delete(name)  # even unrecorded (a lost state file): the name is ours
        rec.get("netns", {}).pop(name, None)
        if record is not None:
            self._refresh(rec, record)

    def _delete_networks(self, container_id: str, netns_path: Path | None = None) -> None:
        """CNI DEL of everything cached for the container, last attached first."""
        netns_path = netns_path or self.netns_path(container_id)
        for cached in reversed(self._cni.cached(container_id)):
            self._cni.delete(cached["config"]["name"],
                             CniCall(container_id, netns_path, cached["ifname"]))
        shutil.rmtree(safe_join(self.store.cache_dir, container_id), ignore_errors=True)

    def _forget(self, rec: dict[str, Any], container_id: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = rec["containers"].pop(container_id, None)
        if record is not None and Path(record["files"]) == safe_join(self.store.files_dir,
                                                                     container_id):
            shutil.rmtree(record["files"], ignore_errors=True)
        return record

    def _refresh(self, rec: dict[str, Any], record: dict[str, Any],
                 container_id: str | None = None) -> None:
        """Hosts files of the groups on the record's networks; with `container_id` (an
        attach) its own resolv.conf and hostname, and its link to its group's hosts file."""
        hosts_dir = self.store.root / "hosts"
        if container_id is not None:
            resolv = self._host_resolv_conf
            write_own_files(record, resolv.read_text() if resolv.exists() else "")
            link_hosts(record, hosts_dir)
        refresh_hosts(rec, hosts_dir, [e["cni"] for e in record["networks"].values()],
                      [container_id] if container_id else [])

    def cleanup_project(self, project: str) -> None:
        """Remove everything recorded for a project, even after a crash mid-`up`."""
        with self.store.records() as rec:
            errors: list[NetworkError] = []
            for container_id in [c for c, r in rec["containers"].items()
                                 if r["project"] == project]:
                try:
                    self._delete_networks(container_id,
                                          Path(rec["containers"][container_id]["netns"]))
                    self._detach(rec, container_id)
                except NetworkError as err:
                    errors.append(err)
            for name, owner in list(rec.get("netns", {}).items()):
                if owner == project:
                    netns.delete(name)
                    del rec["netns"][name]
            for name in list(rec["projects"].get(project, {})):
                self._release_network(rec, project, name)
            rec["projects"].pop(project, None)
            netns.remove_stale(f"{netns.NAME_PREFIX}{self._scope}-")
            if errors:
                raise errors[0]

    # -- queries ----------------------------------------------------------------------------

    def ports(self, project: str, service: str, container_id: str | None = None
              ) -> list[PortMapping]:
        """Published ports of a service's attached containers, or of one of them (a replica),
        for `richcompose port`."""
        with self.store.records() as rec:
            return [PortMapping(**p) for cid, c in rec["containers"].items()
                    if c["project"] == project and c["service"] == service
                    and container_id in (None, cid) for p in c["ports"]]

    def projects(self) -> list[str]:
        """Every project with something recorded (networks, containers or namespaces)."""
        with self.store.records() as rec:
            names = {c["project"] for c in rec["containers"].values()}
            names |= set(rec["projects"]) | set(rec.get("netns", {}).values())
        return sorted(names)

    def check(self, container_id: str) -> None:
        """CNI CHECK every network of a container; a NetworkError says what is broken."""
        with self.store.records() as rec:
            record = rec["containers"].get(container_id)
        if record is None:
            raise NetworkError(f"container {container_id[:12]} is not attached")
        for endpoint in record["networks"].values():
            self._cni.check(endpoint["cni"], CniCall(container_id, Path(record["netns"]),
                                                     endpoint["ifname"]))

    def attachment(self, container_id: str) -> Attachment | None:
        """A recorded attachment again (e.g. for `network_mode: service:X`, which shares the
        target's namespace and hosts files)."""
        with self.store.records() as rec:
            record = rec["containers"].get(container_id)
            return _attachment(container_id, record) if record else None

    def subnet(self, project: str, name: str) -> str:
        with self.store.records() as rec:
            return str(rec["networks"][self._cni_name(rec, project, name)]["subnet"])

    # -- helpers ----------------------------------------------------------------------------

    def _choose_ports(
        self, rec: dict[str, Any], service: str, published: Sequence[PortSpec]
    ) -> list[PortMapping]:
        taken = [PortMapping(**p) for c in rec["containers"].values() for p in c["ports"]]
        taken_keys = {(m.host_port, m.protocol) for m in taken}
        mappings = ports.resolve(
            published,
            lambda p, proto, ip: (p, proto) not in taken_keys and ports.port_is_free(p, proto, ip),
        )
        ports.ensure_free(service, mappings, taken)
        return mappings

    def _cni_name(self, rec: dict[str, Any], project: str, name: str) -> str:
        cni_name = rec["projects"].get(project, {}).get(name)
        if cni_name is None:
            raise NetworkError(f"network {name!r} of project {project!r} does not exist",
                               hint="declare it under `networks:`")
        return str(cni_name)

    def _gateway(self, rec: dict[str, Any], project: str,
                 networks: Mapping[str, Endpoint]) -> str:
        """The host as the container reaches it: its first network's gateway."""
        for name in networks:
            return str(rec["networks"][self._cni_name(rec, project, name)]["gateway"])
        return ""

    def _publish_network(
        self, rec: dict[str, Any], project: str, networks: Mapping[str, Endpoint]
    ) -> str | None:
        for name in networks:
            if not rec["networks"][self._cni_name(rec, project, name)]["internal"]:
                return name
        return None

    def _with_prefix(self, rec: dict[str, Any], cni_name: str, address: str) -> str:
        subnet = rec["networks"][cni_name]["subnet"]
        if subnet and ipaddress.ip_address(address) not in ipaddress.ip_network(subnet):
            raise NetworkError(f"ipv4_address {address} is outside {cni_name}'s subnet {subnet}")
        prefix = ipaddress.ip_network(subnet).prefixlen if subnet else 32
        return f"{address}/{prefix}"


def _attachment(container_id: str, record: Mapping[str, Any]) -> Attachment:
    files = Path(record["files"])
    return Attachment(
        container_id=container_id, netns_path=Path(record["netns"]),
        addresses={n: e["ip"] for n, e in record["networks"].items()},
        ports=tuple(PortMapping(**p) for p in record["ports"]), hosts_file=files / "hosts",
        resolv_file=files / "resolv.conf", hostname_file=files / "hostname",
    )


def _first_ipv4(result: Mapping[str, Any]) -> str:
    for entry in result.get("ips", []):
        address = str(entry.get("address", "")).split("/")[0]
        if address and ipaddress.ip_address(address).version == 4:
            return address
    return ""
