"""Fixtures for rich-mode tests: the debootstrap-built systemd root filesystem (cached between
runs by scripts/make-systemd-rootfs) and helpers that poll a running container."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, Richcompose


@pytest.fixture(scope="session")
def systemd_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("systemd") / "rootfs"
    subprocess.run([str(REPO / "scripts" / "make-systemd-rootfs"), str(root)], check=True,
                   timeout=900)
    return root


def wait_exec(rc: Richcompose, service: str, argv: list[str], expected: str,
              timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = rc("exec", "-T", service, *argv, check=False).stdout.strip()
        if out == expected:
            return out
        time.sleep(0.1)
    raise AssertionError(f"{argv} in {service} gave {out!r}, not {expected!r}")


def ps_rows(rc: Richcompose) -> dict[str, dict[str, object]]:
    import json
    return {row["service"]: row for row in json.loads(rc("ps", "-a", "--format", "json").stdout)}


def pid1(rc: Richcompose, service: str) -> str:
    return rc("exec", "-T", service, "cat", "/proc/1/cmdline").stdout.split("\0")[0]


def ppid_of(rc: Richcompose, service: str, name: str) -> int:
    """Parent PID of the process whose command name (comm) is `name`."""
    script = (f"for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = {name} ] && "
              "{ set -- $(cat $d/stat); echo $4; exit 0; }; done; exit 1")
    return int(rc("exec", "-T", service, "/bin/sh", "-c", script).stdout.strip())
