"""examples/vm-migration: a VM's root filesystem tarball becomes a rich container that boots
its own init, starts the units the VM had enabled and runs the VM's initscript first."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from tests.conftest import REPO, Richcompose

pytestmark = [pytest.mark.runc, pytest.mark.systemd]
EXAMPLE = REPO / "examples" / "vm-migration"


def _exec(rc: Richcompose, *argv: str) -> str:
    return rc("exec", "-T", "vm", *argv, check=False).stdout.strip()


def test_vm_tarball_boots_with_its_units_and_initscript(rc: Richcompose) -> None:
    shutil.copy2(EXAMPLE / "compose.yaml", rc.project_dir / "compose.yaml")
    subprocess.run([str(EXAMPLE / "make-vm-tarball.sh"),
                    str(rc.project_dir / "legacy-vm.tar.gz")], check=True, timeout=900)
    rc("up", "-d", timeout=300)
    deadline = time.monotonic() + 60
    while _exec(rc, "systemctl", "is-system-running") != "running":
        assert time.monotonic() < deadline, _exec(rc, "systemctl", "--failed")
        time.sleep(0.2)
    assert _exec(rc, "cat", "/proc/1/cmdline").split("\0")[0] == "/sbin/init"
    assert _exec(rc, "systemctl", "is-active", "legacyd.service") == "active"
    assert _exec(rc, "hostname") == "legacy-vm01"
    state = json.loads(_exec(rc, "cat", "/var/lib/legacy/last-start.json"))
    assert state["id"] == "legacy-vm-1"  # the initscript got the OCI state JSON on stdin
    rc("down")
