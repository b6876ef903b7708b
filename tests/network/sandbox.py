"""Test isolation for networking: everything a test does happens in a namespace it owns.

`Sandbox` creates a named network namespace `rctest-<random>` and moves the *test thread* into
it with setns(2) for the duration of the test. Every process the code under test starts (CNI
plugins, iptables, runc, curl) inherits it, so bridges, veths, iptables rules and published
ports exist only there; subnets are private to it. Container namespaces (`rc-…`) are separate
namespaces the code under test creates, linked only to the sandbox by veth pairs.

Threads the test starts inherit the namespace too (a new thread copies its creator's); only
threads that existed before the test (none, under plain pytest) would stay outside.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import subprocess
import threading
from pathlib import Path

from richcompose.network.netns import NAME_PREFIX, scope_of

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _current_netns() -> tuple[int, int]:
    st = os.stat(f"/proc/self/task/{_gettid()}/ns/net")
    return st.st_dev, st.st_ino


def _gettid() -> int:
    # setns(CLONE_NEWNET) moves one thread; its own /proc entry shows where it is.
    return threading.get_native_id()


class Sandbox:
    """A test's private network namespace, entered on `__enter__` and deleted on `__exit__`."""

    def __init__(self) -> None:
        self.name = f"rctest-{secrets.token_hex(4)}"
        self.path = Path("/run/netns") / self.name
        self._home_fd = -1

    def __enter__(self) -> Sandbox:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        self._home_fd = os.open(f"/proc/self/task/{_gettid()}/ns/net", os.O_RDONLY)
        home = _current_netns()
        with open(self.path) as target:
            _setns(target.fileno())
        assert _current_netns() != home
        return self

    def __exit__(self, *exc: object) -> None:
        _setns(self._home_fd)
        os.close(self._home_fd)
        subprocess.run(["ip", "netns", "delete", self.name], check=True)

    def on_host(self, *args: str) -> str:
        """Run a command in the namespace the test started in (to show what did not leak)."""
        fd = self._home_fd
        proc = subprocess.run(["nsenter", f"--net=/proc/self/fd/{fd}", *args], pass_fds=[fd],
                              capture_output=True, text=True, check=True)
        return proc.stdout

    def iptables_rules(self) -> list[str]:
        """Every rule (`-A …`) in the sandbox's iptables tables."""
        out = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True)
        return [line for line in out.stdout.splitlines() if line.startswith("-A")]

    def links(self) -> list[str]:
        out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                             check=True)
        return [line.split(":")[1].strip().split("@")[0] for line in out.stdout.splitlines()]


def named_netns() -> set[str]:
    """Names under /run/netns (global to the machine)."""
    root = Path("/run/netns")
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def own_netns(state_root: Path, sandbox: str = "") -> set[str]:
    """The named namespaces a test can have made: those of its state root (`rc-<scope>-…`)
    and its sandbox's (`rctest-…`). Only these count as its leftovers: other test runs on
    the machine make and remove theirs meanwhile."""
    prefix = f"{NAME_PREFIX}{scope_of(state_root)}-"
    return {n for n in named_netns() if n.startswith(prefix) or (sandbox and n.startswith(sandbox))}
