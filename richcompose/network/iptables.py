"""Removing the portmap plugin's shared chains once nothing uses them.

portmap's DEL removes a container's own chains but leaves the top-level CNI-HOSTPORT-* chains
and their jumps from PREROUTING/OUTPUT/POSTROUTING: they are shared by every CNI user of the
namespace. richcompose removes them only when it has no network left *and* CNI-HOSTPORT-DNAT
is empty, i.e. no other CNI user (podman, another tool) publishes a port; portmap recreates
them on its next ADD.
"""

from __future__ import annotations

import subprocess

DNAT = "CNI-HOSTPORT-DNAT"
JUMPS = (
    ("PREROUTING", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", DNAT]),
    ("OUTPUT", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", DNAT]),
    ("POSTROUTING", ["-m", "comment", "--comment", "CNI portfwd requiring masquerade",
                     "-j", "CNI-HOSTPORT-MASQ"]),
)
CHAINS = (DNAT, "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ")


def remove_idle_portmap_chains() -> None:
    listing = nat("-S", DNAT)
    if listing is None or any(line.startswith("-A") for line in listing.splitlines()):
        return
    if _restorenat([["-D", chain, *rule] for chain, rule in JUMPS]
                    + [["-F", c] for c in CHAINS] + [["-X", c] for c in CHAINS]):
        return
    # Some jump was already gone: the one-shot transaction refused, go rule by rule.
    for chain, rule in JUMPS:
        while nat("-D", chain, *rule) is not None:
            pass
    for chain in CHAINS:
        nat("-F", chain)
        nat("-X", chain)


def _restorenat(commands: list[list[str]]) -> bool:
    """Apply all commands in one iptables-restore transaction (one process, not a dozen)."""
    lines = ["*nat", *(" ".join(_quote(a) for a in cmd) for cmd in commands), "COMMIT", ""]
    proc = subprocess.run(["iptables-restore", "-w", "--noflush"], input="\n".join(lines),
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0


def _quote(arg: str) -> str:
    # iptables-restore understands double quotes only.
    return f'"{arg}"' if " " in arg else arg


def nat(*args: str) -> str | None:
    """Run `iptables -t nat ARGS`; None when it fails (chain or rule absent)."""
    proc = subprocess.run(["iptables", "-w", "-t", "nat", *args], capture_output=True,
                          text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None
