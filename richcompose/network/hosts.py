"""/etc/hosts, /etc/resolv.conf and /etc/hostname for a container (rendering is pure).

The files live in the container's state directory and are bind-mounted into the container, so
they are rewritten in place: a rename would give a new inode the bind mount never sees.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from richcompose.errors import NetworkError
from richcompose.network.types import HostEntry

LOCALHOST_LINES = (
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
)


HOST_GATEWAY = "host-gateway"


def parse_extra_hosts(
    extra: Iterable[str] | Mapping[str, str], host_gateway: str = ""
) -> list[HostEntry]:
    """compose's `extra_hosts`: a list of `name:ip` / `name=ip`, or a mapping name → ip.

    docker's special address `host-gateway` is the host as the container reaches it: the
    gateway of its first network (`host_gateway`).
    """
    pairs: list[tuple[str, str]]
    if isinstance(extra, Mapping):
        pairs = [(str(k), str(v)) for k, v in extra.items()]
    else:
        pairs = []
        for item in extra:
            sep = "=" if "=" in item else ":"
            name, _, address = item.partition(sep)
            pairs.append((name, address))
    entries = []
    for name, address in pairs:
        address = address.strip("[]")
        if address == HOST_GATEWAY:
            if not host_gateway:
                raise NetworkError(f"extra_hosts entry {name}:{HOST_GATEWAY}: the container "
                                   "has no network gateway", hint="use an IP address")
            address = host_gateway
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise NetworkError(f"extra_hosts entry {name}:{address}: not an IP address",
                               hint="write it as NAME:IP") from None
        entries.append(HostEntry(address, (name,)))
    return entries


def render_hosts(
    own: HostEntry | None, peers: Iterable[HostEntry], extra: Iterable[HostEntry] = ()
) -> str:
    """The hosts file: localhost, `extra_hosts`, the container itself, then its neighbours.

    Names already claimed by an earlier line are dropped from later ones, so the first match
    (what the resolver returns) is the container's own address and then the user's overrides.
    """
    lines = list(LOCALHOST_LINES)
    seen: set[str] = {"localhost"}
    for entry in [*extra, *([own] if own else []), *peers]:
        _one_word("hosts address", entry.address)
        for name in entry.names:
            _one_word("host name", name)
        names = [n for n in dict.fromkeys(entry.names) if n and n not in seen]
        if names:
            seen.update(names)
            lines.append(f"{entry.address}\t{' '.join(names)}")
    return "\n".join(lines) + "\n"


def render_resolv_conf(
    host_resolv: str,
    *,
    nameservers: Sequence[str] = (),
    search: Sequence[str] = (),
    options: Sequence[str] = (),
) -> str:
    """The host's resolv.conf without loopback nameservers (unreachable from a netns).

    A service's `dns`, `dns_search` and `dns_opt` replace the host's nameserver, search and
    options lines respectively, as docker does.
    """
    for value in (*nameservers, *search, *options):
        _one_word("resolv.conf value", value)
    kept = []
    for line in host_resolv.splitlines():
        fields = line.split()
        keyword = fields[0] if fields else ""
        if (keyword == "nameserver" and nameservers) or (keyword in ("search", "domain")
                                                          and search) or (
                keyword == "options" and options):
            continue
        if keyword == "nameserver" and len(fields) >= 2 and _is_loopback(fields[1]):
            kept.append(f"# {line.strip()}  (loopback: unreachable from the container)")
            continue
        kept.append(line)
    if search:
        kept.append(f"search {' '.join(search)}")
    kept += [f"nameserver {server}" for server in nameservers]
    if options:
        kept.append(f"options {' '.join(options)}")
    return "\n".join(kept) + "\n"


def _one_word(what: str, value: str) -> None:
    """A value with a space or line break would add fields or lines to a peer's file; the
    config stage refuses these already (config/hostnames.py), this is the writer's own check."""
    if not value or len(value.split()) != 1 or value != value.strip() or "#" in value:
        raise NetworkError(f"refusing to write the {what} {value[:60]!r}: not a single word",
                           hint="host names and DNS values may not hold spaces or line breaks")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def write_in_place(path: Path, text: str) -> None:
    """Replace a file's contents keeping its inode (bind mounts follow inodes, not names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        handle.seek(0)
        # The container may have written it (it is mounted read-write): read no more than
        # needed to compare, however large it has grown.
        if handle.read(len(text) + 1) == text:
            return
        handle.truncate(0)
        handle.write(text)
