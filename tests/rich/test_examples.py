"""The rich examples run as written (examples/rich-dumb-init, examples/rich-systemd)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, Richcompose, wait_log
from tests.rich.conftest import pid1, wait_exec

pytestmark = pytest.mark.runc


def _use_example(rc: Richcompose, name: str, rootfs: Path | None = None) -> None:
    source = REPO / "examples" / name
    for item in source.iterdir():
        if item.name == "rootfs":
            continue
        target = rc.project_dir / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    if rootfs is not None:
        (rc.project_dir / "rootfs").unlink()
        (rc.project_dir / "rootfs").symlink_to(rootfs)


def test_rich_dumb_init_example(rc: Richcompose) -> None:
    _use_example(rc, "rich-dumb-init")
    rc("up", "-d")
    assert pid1(rc, "app").endswith("/dumb-init")
    logs = wait_log(rc, "app", "hello from a rich container")
    assert "initscript: prepared" in logs and "prepared container app" in logs
    assert logs.index("system service cache") < logs.index("system service warmup")
    rc("down")
    assert "app container removed" in (rc.project_dir / "poststop.log").read_text()


@pytest.mark.systemd
def test_rich_systemd_example_reaches_running(rc: Richcompose, systemd_rootfs: Path) -> None:
    _use_example(rc, "rich-systemd", systemd_rootfs)
    started = time.monotonic()
    rc("up", "-d")
    wait_exec(rc, "app", ["systemctl", "is-system-running"], "running", timeout=60)
    print(f"rich-systemd: up -d to running in {time.monotonic() - started:.2f} s")
    assert "hello from systemd, prepared at" in wait_log(rc, "app", "prepared at")
    rc("down")
