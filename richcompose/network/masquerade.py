"""Outbound NAT of a network: docker's one rule per bridge network,

  nat POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE

made with the network and removed with it. Why not the bridge plugin's `ipMasq`: it makes a
chain per *container* (CNI-<id>, two rules and a POSTROUTING jump), so every attach and every
detach runs iptables several times under the xtables lock: measured on this VM (bridge plugin
1.1.1, 10 containers in a row) ADD 22 → 10 ms and DEL 89 → 22 ms per container without it,
and half the CPU. The rule is the same masquerading, written once.
"""

from __future__ import annotations

from richcompose.errors import NetworkError
from richcompose.network.iptables import nat


def rule(subnet: str, bridge: str) -> list[str]:
    return ["POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE"]


def add(subnet: str, bridge: str) -> None:
    """Idempotent: a rule already there (another run, a retry) is kept as it is."""
    if nat("-C", *rule(subnet, bridge)) is not None:
        return
    if nat("-A", *rule(subnet, bridge)) is None:
        raise NetworkError(f"cannot add the masquerading rule of {subnet} on {bridge}",
                           hint="is iptables usable here (root, nf_tables or legacy backend)?")


def remove(subnet: str, bridge: str) -> None:
    """Removes the rule (every copy of it); a rule already gone is no error."""
    while nat("-D", *rule(subnet, bridge)) is not None:
        pass
