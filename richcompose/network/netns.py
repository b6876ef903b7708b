"""Named network namespaces, made and removed the way `ip netns add/del` does.

A named namespace is a bind mount of a fresh net namespace at /run/netns/NAME, so it outlives
the process that made it and runc can join it by path. We drive iproute2 rather than
re-implementing the unshare + bind-mount dance: it is the reference implementation and is
always present where CNI is.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from richcompose.errors import NetworkError
from richcompose.hostfs import safe_join

NETNS_DIR = Path("/run/netns")
NAME_PREFIX = "rc-"


def scope_of(state_root: Path) -> str:
    """A short tag of a state root: two roots may hold a project of the same name."""
    return hashlib.sha256(str(state_root.absolute()).encode()).hexdigest()[:6]


def netns_name(container_id: str, scope: str) -> str:
    """The namespace name for a container: `rc-<scope>-<container id>`.

    The whole id, not a 12-character prefix: richcompose ids are names (`shop-db-1`), and two
    long names can share a prefix. Netns names are global to the host, so the state root's
    scope keeps two roots (e.g. two test runs) with the same project name apart.
    """
    return f"{NAME_PREFIX}{scope}-{container_id.replace('/', '_')}"


def netns_path(name: str) -> Path:
    return safe_join(NETNS_DIR, name)


def exists(name: str) -> bool:
    return netns_path(name).exists()


def create(name: str) -> Path:
    """Create the named namespace (with `lo` still down: the loopback plugin brings it up)."""
    path = netns_path(name)
    if exists(name) and not is_namespace(path):
        delete(name)  # a stale file left by a crash or by `ip netns exec`
    if not exists(name):
        _ip("netns", "add", name)
    return path


def is_namespace(path: Path) -> bool:
    """Whether `path` is a namespace bind mount, not merely a file: `ip netns add` inside
    `ip netns exec` (or a crash between the file and its mount) leaves an empty file that CNI
    plugins refuse ("unknown FS magic")."""
    wanted = str(path)
    try:
        with open("/proc/self/mountinfo") as handle:
            for line in handle:
                fields = line.split()
                if fields[4] == wanted:
                    fstype = fields[fields.index("-") + 1]
                    return fstype in ("nsfs", "proc")
    except OSError:
        return False
    return False


def delete(name: str) -> None:
    """Remove the named namespace; a namespace already gone is not an error, and a stale
    file where one was is removed."""
    path = netns_path(name)
    if is_namespace(path):
        _ip("netns", "delete", name)
    elif path.is_file() and not path.is_symlink():
        path.unlink(missing_ok=True)


def remove_stale(prefix: str) -> list[str]:
    """Removes files named `prefix*` in /run/netns that are no namespace (useless to anyone:
    nothing can join them); returns their names."""
    removed = []
    for path in sorted(NETNS_DIR.glob(f"{prefix}*")) if NETNS_DIR.is_dir() else []:
        if path.is_file() and not path.is_symlink() and not is_namespace(path):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise NetworkError(
            f"ip {' '.join(args)} failed: {proc.stderr.strip() or proc.returncode}",
            hint="richcompose needs root and iproute2 to manage network namespaces",
        )
