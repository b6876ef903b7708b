"""The depends_on waiter's script, run by busybox as in the waiter image, against a port on
loopback: it returns once the port accepts, and a `required: false` wait gives up and goes on."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from richcompose.kube.probes import WAIT_SCRIPT

BUSYBOX = shutil.which("busybox")
pytestmark = pytest.mark.skipif(BUSYBOX is None, reason="needs busybox")


def _wait(tmp_path: Path, port: int, deadline: int) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for applet in ("sh", "nc", "timeout", "sleep", "nslookup"):
        if not (bin_dir / applet).exists():
            (bin_dir / applet).symlink_to(str(BUSYBOX))
    return subprocess.run([str(bin_dir / "sh"), "-c", WAIT_SCRIPT, "wait", "127.0.0.1", str(port),
                           str(deadline)], capture_output=True, text=True, timeout=60,
                          env={"PATH": str(bin_dir)})


def test_waiter_returns_once_the_dependency_accepts_connections(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        proc = _wait(tmp_path, server.getsockname()[1], 0)
    assert proc.returncode == 0 and "127.0.0.1 is up" in proc.stdout


def test_optional_dependency_wait_gives_up_and_goes_on(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: refused
        proc = _wait(tmp_path, port, 2)
    assert proc.returncode == 0 and "not up after 2 tries; going on" in proc.stdout
