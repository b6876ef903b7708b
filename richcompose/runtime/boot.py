"""Seeing a VM container boot, from the host: `systemctl is-system-running` inside (systemd),
or the marker the generated inittab entry drops in the run dir (busybox/SysV init); and
telling a reboot inside from a power-off, by the marker the reboot leaves (bundle/vm.py).

Markers live in the container-writable run dir: they are only ever lstat'ed and removed
here, never opened or followed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.bundle.names import (
    BOOT_ANNOTATION,
    BOOT_TIMEOUT_ANNOTATION,
    BOOTED_MARKER,
    DEFAULT_BOOT_TIMEOUT,
    REBOOT_MARKER,
    RUN_HOST_DIR,
    SYSTEMD_UP_MARKER,
)
from richcompose.runtime.oci import OCIRuntime

BOOTED_STATES = ("running", "degraded")


@dataclass(frozen=True)
class BootState:
    """systemd's words (initializing, starting, running, degraded, maintenance, stopping,
    offline), `booting` before anything answers, and the failed units when degraded."""

    state: str
    failed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def booted(self) -> bool:
        return self.state in BOOTED_STATES

    def describe(self) -> str:
        if self.failed:
            return f"{self.state} (failed units: {', '.join(self.failed)})"
        return self.state


def boot_kind(spec: Mapping[str, Any]) -> str | None:
    """`systemd`, `inittab` or None (not a VM) from a bundle's config.json."""
    kind = spec.get("annotations", {}).get(BOOT_ANNOTATION)
    return str(kind) if kind else None


def boot_timeout(spec: Mapping[str, Any]) -> float:
    raw = spec.get("annotations", {}).get(BOOT_TIMEOUT_ANNOTATION)
    return float(raw) if raw else float(DEFAULT_BOOT_TIMEOUT)


SYSTEMD_PROBE_EVERY = 1.0


def _marker(bundle: Path, name: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(bundle / RUN_HOST_DIR / name).st_mode)
    except OSError:
        return False


def clear_markers(bundle: Path) -> None:
    """Before each start: the boot and reboot of the run before say nothing of this one."""
    for name in (BOOTED_MARKER, REBOOT_MARKER, SYSTEMD_UP_MARKER):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(bundle / RUN_HOST_DIR / name)


def rebooted(bundle: Path) -> bool:
    """Whether the container's last run ended in a reboot inside (so it starts again)."""
    return _marker(bundle, REBOOT_MARKER)


def probe(runtime: OCIRuntime, container_id: str, kind: str, bundle: Path, *,
          wait: float | None = None) -> BootState:
    """The boot state now; with `wait` (seconds), systemd is asked to answer only once its
    start-up has finished (`is-system-running --wait`), up to that long."""
    if kind != "systemd":
        return BootState("running" if _marker(bundle, BOOTED_MARKER) else "booting")
    argv = ["systemctl", "is-system-running", *(["--wait"] if wait else [])]
    try:
        out = runtime.exec(container_id, argv, timeout=wait or 10).stdout.strip()
    except subprocess.TimeoutExpired:
        return BootState("starting")
    state = out.splitlines()[-1].strip() if out else "booting"
    failed: tuple[str, ...] = ()
    if state == "degraded":
        listed = runtime.exec(container_id, ["systemctl", "--failed", "--plain", "--no-legend"],
                              timeout=10).stdout
        failed = tuple(line.split()[0] for line in listed.splitlines() if line.strip())
    return BootState(state, failed)


def wait_booted(runtime: OCIRuntime, container_id: str, kind: str, bundle: Path, *,
                alive: Callable[[], bool], timeout: float) -> BootState:
    """Blocks until the VM has booted (running or degraded), PID 1 has gone, or `timeout`.
    systemd is asked (`runc exec` of `is-system-running --wait`, ~40 ms of CPU the boot itself
    wants) once the unit bundle/systemd.py puts first in the boot has said systemd is up, and
    otherwise once every SYSTEMD_PROBE_EVERY seconds: a boot that never runs that unit (an
    image that ignores our units) is still seen. Asked before it is up, systemctl answers
    "offline" at once."""
    deadline = time.monotonic() + timeout
    state = BootState("booting")
    next_probe = time.monotonic() + SYSTEMD_PROBE_EVERY
    while alive():
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            break
        up = kind == "systemd" and _marker(bundle, SYSTEMD_UP_MARKER)
        if kind != "systemd" or now >= next_probe or up:
            state = probe(runtime, container_id, kind, bundle, wait=min(left, 30.0))
            if state.booted or state.state in ("maintenance", "stopping"):
                return state
            next_probe = time.monotonic() + (0.05 if up else SYSTEMD_PROBE_EVERY)
        time.sleep(0.01)
    return state
