"""Service discovery by hosts file: who each container sees, from the store's records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from richcompose.network.hosts import (
    extra_host_entries,
    render_hosts,
    render_resolv_conf,
    write_in_place,
)
from richcompose.network.types import HostEntry


def neighbours(records: dict[str, Any], container_id: str) -> list[HostEntry]:
    """Every other container on a network this one is on, by the address on that network.

    Names: service, the aliases it has on that network, container name and hostname.
    """
    me = records["containers"][container_id]
    my_networks = {e["cni"] for e in me["networks"].values()}
    entries = []
    for other_id, other in sorted(records["containers"].items()):
        if other_id == container_id:
            continue
        for endpoint in other["networks"].values():
            if endpoint["cni"] in my_networks and endpoint["ip"]:
                names = (other["service"], *endpoint["aliases"], other["container_name"],
                         other["hostname"])
                entries.append(HostEntry(endpoint["ip"], names))
    return entries


def own_entry(record: dict[str, Any]) -> HostEntry | None:
    addresses = [e["ip"] for e in record["networks"].values() if e["ip"]]
    if not addresses:
        return None
    aliases = [a for e in record["networks"].values() for a in e["aliases"]]
    return HostEntry(addresses[0], (record["hostname"], record["container_name"],
                                    record["service"], *aliases))


def refresh_files(records: dict[str, Any], host_resolv: str) -> None:
    """Rewrite hosts, resolv.conf and hostname of every attached container, in place."""
    for container_id, record in records["containers"].items():
        files = Path(record["files"])
        dns = record.get("dns", {})
        resolv = render_resolv_conf(host_resolv, nameservers=dns.get("servers", ()),
                                    search=dns.get("search", ()),
                                    options=dns.get("options", ()))
        hosts = render_hosts(own_entry(record), neighbours(records, container_id),
                             extra_host_entries(record["extra_hosts"],
                                               record.get("host_gateway", "")))
        write_in_place(files / "hosts", hosts)
        write_in_place(files / "resolv.conf", resolv)
        write_in_place(files / "hostname", record["hostname"] + "\n")
