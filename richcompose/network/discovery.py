"""Service discovery by hosts file: who each container sees, from the store's records.

Containers with the same networks and the same `extra_hosts` see the same names, so they share
one hosts file: a group file in the store, hard-linked as each member's `hosts` (bind mounts
follow the inode). An attach or detach rewrites the group files of the networks it touched,
once each: O(containers on those networks), where a file per container rewritten for every
change cost O(N²) per attach.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from richcompose.network.hosts import (
    parse_extra_hosts,
    render_hosts,
    render_resolv_conf,
    write_in_place,
)
from richcompose.network.types import HostEntry


def hosts_group(record: dict[str, Any]) -> str:
    """The key of the hosts file a container shares: its networks and its own extra lines."""
    key = json.dumps([sorted(e["cni"] for e in record["networks"].values()),
                      record["extra_hosts"], record.get("host_gateway", "")], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def group_entries(records: dict[str, Any], networks: set[str]) -> list[HostEntry]:
    """Every container with an address on one of `networks`, by that address.

    Names: service, the aliases it has on that network, container name and hostname.
    """
    entries = []
    for _, other in sorted(records["containers"].items()):
        for endpoint in other["networks"].values():
            if endpoint["cni"] in networks and endpoint["ip"]:
                names = (other["service"], *endpoint["aliases"], other["container_name"],
                         other["hostname"])
                entries.append(HostEntry(endpoint["ip"], names))
    return entries


def write_own_files(record: dict[str, Any], host_resolv: str) -> None:
    """resolv.conf and hostname: they depend on the container alone."""
    files = Path(record["files"])
    dns = record.get("dns", {})
    write_in_place(files / "resolv.conf", render_resolv_conf(
        host_resolv, nameservers=dns.get("servers", ()), search=dns.get("search", ()),
        options=dns.get("options", ())))
    write_in_place(files / "hostname", record["hostname"] + "\n")


def link_hosts(record: dict[str, Any], hosts_dir: Path) -> None:
    """Makes the container's `hosts` the group file (a hard link); a copy where the two live
    on different filesystems (then refresh writes both)."""
    group = hosts_dir / hosts_group(record)
    own = Path(record["files"]) / "hosts"
    write_in_place(group, "")
    own.parent.mkdir(parents=True, exist_ok=True)
    own.unlink(missing_ok=True)
    try:
        os.link(group, own)
        record["hosts_linked"] = True
    except OSError:
        record["hosts_linked"] = False


def refresh_hosts(records: dict[str, Any], hosts_dir: Path, networks: Iterable[str],
                  containers: Iterable[str] = ()) -> None:
    """Rewrite the group files of every group on one of `networks` and of `containers`; drop
    group files no container uses any more."""
    touched, chosen = set(networks), set(containers)
    groups: dict[str, list[dict[str, Any]]] = {}
    for container_id, record in records["containers"].items():
        if container_id in chosen or touched & {e["cni"] for e in record["networks"].values()}:
            groups.setdefault(hosts_group(record), []).append(record)
    for key, members in groups.items():
        first = members[0]
        text = render_hosts(None, group_entries(records, {e["cni"] for e in
                                                          first["networks"].values()}),
                            parse_extra_hosts(first["extra_hosts"],
                                              first.get("host_gateway", "")))
        write_in_place(hosts_dir / key, text)
        for member in members:
            if not member.get("hosts_linked", False):
                write_in_place(Path(member["files"]) / "hosts", text)
    if hosts_dir.is_dir():
        used = {hosts_group(r) for r in records["containers"].values()}
        for path in hosts_dir.iterdir():
            if path.name not in used:
                path.unlink(missing_ok=True)
