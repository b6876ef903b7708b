"""crun works as the OCI runtime too (`--runtime crun`), rich mode included; on this cgroup v1
hybrid host it runs through the crun-hybrid wrapper (richcompose/runtime/crun-hybrid)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import Richcompose, wait_log
from tests.e2e.test_hello import HELLO

pytestmark = pytest.mark.runc


def test_hello_runs_under_crun_and_down_leaves_nothing(rc: Richcompose) -> None:
    rc.write(HELLO)
    rc("--runtime", "crun", "up", "-d")
    crun_root = rc.root / "crun"
    listed = subprocess.run(["crun", "--root", str(crun_root), "list", "-q"],
                            capture_output=True, text=True).stdout.split()
    assert sorted(listed) == ["hello-app-1", "hello-db-1"]
    pid1 = rc("--runtime", "crun", "exec", "-T", "app", "cat", "/proc/1/cmdline").stdout
    assert pid1.split("\0")[0].endswith("/dumb-init")
    assert "initcmd-ran" in wait_log(rc, "app", "app says hi")
    rc("--runtime", "crun", "down", "-t", "1")
    listed = subprocess.run(["crun", "--root", str(crun_root), "list", "-q"],
                            capture_output=True, text=True).stdout.split()
    assert listed == []
