"""Outbound NAT of a network: docker's one rule per bridge network,

  nat POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE

made with the network and removed with it. Why not the bridge plugin's `ipMasq`: it makes a
chain per *container* (CNI-<id>, two rules and a POSTROUTING jump), so every attach and every
detach runs iptables several times under the xtables lock: measured on this VM (bridge plugin
1.1.1, 10 containers in a row) ADD 22 → 10 ms and DEL 89 → 22 ms per container without it,
and half the CPU. The rule is the same masquerading, written once.
"""

from __future__ import annotations

import subprocess

from richcompose.errors import NetworkError


def rule(subnet: str, bridge: str) -> list[str]:
    return ["POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE"]


def add(subnet: str, bridge: str) -> None:
    """Idempotent: a rule already there (another run, a retry) is kept as it is."""
    if _iptables("-C", *rule(subnet, bridge)):
        return
    if not _iptables("-A", *rule(subnet, bridge)):
        raise NetworkError(f"cannot add the masquerading rule of {subnet} on {bridge}",
                           hint="is iptables usable here (root, nf_tables or legacy backend)?")


def remove(subnet: str, bridge: str) -> None:
    """Removes the rule (every copy of it); a rule already gone is no error."""
    while _iptables("-D", *rule(subnet, bridge)):
        pass


def _iptables(*args: str) -> bool:
    proc = subprocess.run(["iptables", "-w", "-t", "nat", *args], capture_output=True,
                          check=False)
    return proc.returncode == 0
