"""Fixtures shared by every test folder: a busybox root filesystem built from Debian's
busybox-static, a private state root per test, and a runner for the CLI that checks that
nothing is left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from richcompose.network import NetworkManager
from richcompose.state import StatePaths
from tests.network.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
# Every command the suite runs is a fresh process, as on a machine without a warm server
# (richcompose/warm); tests/cli/test_warm.py turns it on for itself.
os.environ["RICHCOMPOSE_WARM"] = "0"


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("busybox") / "rootfs"
    subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"), str(root)], check=True)
    return root


@dataclass
class Richcompose:
    """Runs `python -m richcompose --root ROOT ...` in a project directory."""

    root: Path
    project_dir: Path

    def write(self, compose: str, name: str = "compose.yaml") -> Path:
        path = self.project_dir / name
        path.write_text(textwrap.dedent(compose))
        return path

    def __call__(self, *args: str, check: bool = True, timeout: float = 120,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "richcompose", "--root", str(self.root), *args],
            cwd=self.project_dir, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
            # This checkout's code, whatever `pip install -e` points at on a shared machine.
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"richcompose {' '.join(args)} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    @property
    def runtime_root(self) -> Path:
        return self.root / "runc"


def wait_log(rc: Richcompose, service: str, text: str, timeout: float = 15) -> str:
    """The service's logs once `text` is in them (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = rc("logs", service).stdout
        if text in out:
            return out
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in logs of {service}: {out!r}")


def leftovers(root: Path) -> list[str]:
    """Containers, mounts, conmon and monitor processes that belong to a state root."""
    found: list[str] = []
    runc_root = root / "runc"
    if runc_root.exists():
        out = subprocess.run(["runc", "--root", str(runc_root), "list", "-q"],
                             capture_output=True, text=True).stdout.split()
        found += [f"runc container {cid}" for cid in out]
    with open("/proc/self/mountinfo") as handle:
        # Below the root: a test may mount the root itself (a small tmpfs for a full disk).
        found += [f"mount {line.split()[4]}" for line in handle
                  if line.split()[4].startswith(f"{root}/")]
    network_state = root / "network" / "state.json"
    if network_state.exists():
        recorded = json.loads(network_state.read_text())
        found += [f"network namespace {name}" for name in recorded.get("netns", {})
                  if (Path("/run/netns") / name).exists()]
        found += [f"network {name}" for name in recorded.get("networks", {})]
    # A network is destroyed with its conflist: one left means its bridge and rules are too,
    # even when the state file that recorded it was lost.
    conf_dir = root / "network" / "conf"
    found += [f"network conflist {p.name}" for p in conf_dir.glob("*.conflist")] \
        if conf_dir.is_dir() else []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"conmon") and str(runc_root).encode() in cmdline:
            found.append(f"conmon process {pid}")
        if b"richcompose.runtime.monitor" in cmdline and str(runc_root).encode() in cmdline:
            found.append(f"monitor process {pid}")
        if b"richcompose.warm.server" in b" ".join(cmdline) and cmdline[-2] == str(root).encode():
            found.append(f"warm server process {pid}")
    parent = StatePaths(root).cgroup_parent.lstrip("/")
    found += [f"cgroup {path}" for path in Path("/sys/fs/cgroup").glob(f"*/{parent}")]
    return found


def force_cleanup(root: Path) -> None:
    """Removes what a failed test left: our own monitors and containers (by id) and mounts
    under root."""
    for entry in leftovers(root):
        if entry.startswith("monitor process "):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.rsplit(" ", 1)[1]), signal.SIGKILL)
    runc_root = root / "runc"
    if runc_root.exists():
        ids = subprocess.run(["runc", "--root", str(runc_root), "list", "-q"],
                             capture_output=True, text=True).stdout.split()
        for cid in ids:
            subprocess.run(["runc", "--root", str(runc_root), "delete", "-f", cid],
                           capture_output=True)
    with open("/proc/self/mountinfo") as handle:
        mounts = [line.split()[4] for line in handle if line.split()[4].startswith(str(root))]
    for target in reversed(mounts):
        subprocess.run(["umount", "-l", target], capture_output=True)
    if (root / "network").exists():
        network = NetworkManager(root)
        for project in network.projects():
            network.cleanup_project(project)
    parent = StatePaths(root).cgroup_parent.lstrip("/")
    for cgroup in Path("/sys/fs/cgroup").glob(f"*/{parent}"):
        with contextlib.suppress(OSError):
            cgroup.rmdir()


@pytest.fixture
def rc(tmp_path: Path, busybox_rootfs: Path) -> Iterator[Richcompose]:
    """A project directory with ./rootfs (busybox), a private state root and a private network
    namespace; after the test it fails the test if anything of that root is left behind."""
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "rootfs").symlink_to(busybox_rootfs)
    runner = Richcompose(root=tmp_path / "state", project_dir=project_dir)
    # Every CLI test runs in a network namespace of its own: the project networks, veths and
    # iptables rules `up` makes exist only there (docs/networking.md).
    with Sandbox():
        yield runner
        left = leftovers(runner.root)
        force_cleanup(runner.root)
    assert not left, f"left behind: {left}"
