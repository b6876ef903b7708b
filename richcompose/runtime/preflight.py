"""Refusing a host where containers cannot be made, before anything is created: runc needs
the cgroup filesystems mounted in its mount namespace. `ip netns exec` runs a command in a
private mount namespace with /sys mounted again, without them — and whatever a half-done
`up` made there (a namespace file on the host, CNI chains) outlives it."""

from __future__ import annotations

from pathlib import Path

from richcompose.errors import RuntimeFailure

CGROUP_FILESYSTEMS = ("cgroup", "cgroup2")


def cgroup_mounts(mountinfo: str) -> list[str]:
    """Mount points of cgroup filesystems in a /proc/self/mountinfo text."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" in fields:
            fstype = fields[fields.index("-") + 1]
            if fstype in CGROUP_FILESYSTEMS:
                found.append(fields[4])
    return found


def require_cgroups(mountinfo: Path = Path("/proc/self/mountinfo")) -> None:
    try:
        text = mountinfo.read_text()
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {mountinfo}: {exc}") from None
    if not cgroup_mounts(text):
        raise RuntimeFailure(
            "no cgroup filesystem is mounted in this mount namespace, so no container can be "
            "created (is this `ip netns exec`? it mounts /sys again without them)",
            hint="to run richcompose inside a network namespace use "
                 "`nsenter --net=/run/netns/NAME richcompose ...`")
