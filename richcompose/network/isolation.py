"""Docker's isolation between networks, for the bridges richcompose makes.

A container reaches the containers of its own networks, the host and the outside world, but
not a network it is not attached to: without these rules the host routes between any two
bridges, so one project's containers could reach another's (ping, TCP, anything). The rules
are docker's two-stage chains (moby's DOCKER-ISOLATION-STAGE-1/2), in the filter table:

  FORWARD -j RC-ISOLATION-STAGE-1                       (first rule of FORWARD)
  RC-ISOLATION-STAGE-1 -i BR ! -o BR -j RC-ISOLATION-STAGE-2   (one per bridge)
  RC-ISOLATION-STAGE-2 -o BR -j DROP                           (one per bridge)

so a packet that enters from one of our bridges and leaves by another of our bridges is
dropped — unless it is addressed to a published port (`-m conntrack --ctstate DNAT -j
RETURN` heads STAGE-1): a port the user published is meant to be reached, and docker's
userland proxy makes it reachable from other networks too. Neither the CNI `bridge` plugin
nor `firewall` (containernetworking-plugins 1.1.1) isolates networks from each other, hence
this module. The chains are shared by every state
root in the network namespace; the last bridge to go removes them and the jump.
"""

from __future__ import annotations

import subprocess

from richcompose.errors import NetworkError

STAGE_1 = "RC-ISOLATION-STAGE-1"
STAGE_2 = "RC-ISOLATION-STAGE-2"
_JUMP = ("FORWARD", ["-j", STAGE_1])
_PUBLISHED = (STAGE_1, ["-m", "conntrack", "--ctstate", "DNAT", "-j", "RETURN"])
_ATTEMPTS = 3  # another richcompose may change the chains between our listing and our change


def bridge_rules(bridge: str) -> list[tuple[str, list[str]]]:
    return [(STAGE_1, ["-i", bridge, "!", "-o", bridge, "-j", STAGE_2]),
            (STAGE_2, ["-o", bridge, "-j", "DROP"])]


def isolate(bridge: str) -> None:
    """Adds the bridge's rules (and the chains and jump when missing); idempotent."""
    for _ in range(_ATTEMPTS):
        present = _listing()
        commands: list[list[str]] = []
        for chain in (STAGE_1, STAGE_2):
            if f"-N {chain}" not in present:
                commands.append(["-N", chain])
        if _rule_line(*_PUBLISHED) not in present:
            commands.append(["-I", _PUBLISHED[0], "1", *_PUBLISHED[1]])
        if _rule_line(*_JUMP) not in present:
            commands.append(["-I", _JUMP[0], "1", *_JUMP[1]])
        commands += [["-A", chain, *rule] for chain, rule in bridge_rules(bridge)
                     if _rule_line(chain, rule) not in present]
        if not commands or _restore(commands):
            return
    raise NetworkError(f"cannot add the isolation rules of bridge {bridge}",
                       hint="is iptables usable here (root, nf_tables or legacy backend)?")


def release(bridge: str) -> None:
    """Removes the bridge's rules; the chains and jump too once no bridge is left."""
    for _ in range(_ATTEMPTS):
        present = _listing()
        commands = [["-D", chain, *rule] for chain, rule in bridge_rules(bridge)
                    if _rule_line(chain, rule) in present]
        left = [line for line in present if line.startswith(f"-A {STAGE_1} ")
                and line != _rule_line(*_PUBLISHED)]
        if len(left) <= len([c for c in commands if c[1] == STAGE_1]):
            if _rule_line(*_JUMP) in present:
                commands.append(["-D", _JUMP[0], *_JUMP[1]])
            for chain in (STAGE_1, STAGE_2):
                if f"-N {chain}" in present:
                    commands += [["-F", chain], ["-X", chain]]
        if not commands or _restore(commands):
            return


def _rule_line(chain: str, rule: list[str]) -> str:
    return " ".join(["-A", chain, *rule])


def _listing() -> set[str]:
    """`iptables -S` of the filter table, one line per chain and rule (empty when unreadable)."""
    proc = subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True, check=False)
    return set(proc.stdout.splitlines()) if proc.returncode == 0 else set()


def _restore(commands: list[list[str]]) -> bool:
    """All commands in one iptables-restore transaction: all happen or none."""
    lines = ["*filter", *(" ".join(cmd) for cmd in commands), "COMMIT", ""]
    proc = subprocess.run(["iptables-restore", "-w", "--noflush"], input="\n".join(lines),
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0
