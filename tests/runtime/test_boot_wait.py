"""Waiting for a systemd VM's boot asks systemd (a `runc exec`) as soon as the unit that opens
the boot says systemd is up, and otherwise only once a second, so a boot that never runs that
unit is still seen. A fake runtime stands for runc: it answers as systemd would and counts the asks."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any, cast

from richcompose.bundle.names import RUN_HOST_DIR, SYSTEMD_UP_MARKER
from richcompose.runtime import boot
from richcompose.runtime.oci import OCIRuntime


class FakeSystemd:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[float] = []

    def exec(self, container_id: str, argv: list[str], timeout: float) -> Any:
        self.asked.append(time.monotonic())
        return subprocess.CompletedProcess(argv, 0, stdout=f"{self.answer}\n", stderr="")


def _wait(systemd: FakeSystemd, bundle: Path, timeout: float) -> boot.BootState:
    return boot.wait_booted(cast(OCIRuntime, systemd), "c", "systemd", bundle,
                            alive=lambda: True, timeout=timeout)


def test_systemd_is_asked_once_it_says_it_is_up(tmp_path: Path) -> None:
    (tmp_path / RUN_HOST_DIR).mkdir()
    systemd = FakeSystemd("offline")
    marker = tmp_path / RUN_HOST_DIR / SYSTEMD_UP_MARKER

    def boot_finishes() -> None:  # `--wait` answers once the boot is over
        time.sleep(0.3)
        systemd.answer = "running"
        marker.touch()

    threading.Thread(target=boot_finishes).start()
    start = time.monotonic()
    state = _wait(systemd, tmp_path, timeout=10)
    assert state.state == "running"
    assert len(systemd.asked) == 1  # not while it would answer "offline"
    assert systemd.asked[0] - start < 0.9  # at the marker, not at the once-a-second ask


def test_without_the_marker_systemd_is_asked_once_a_second(tmp_path: Path) -> None:
    (tmp_path / RUN_HOST_DIR).mkdir()
    systemd = FakeSystemd("starting")
    state = _wait(systemd, tmp_path, timeout=2.5)
    assert state.state == "starting"
    assert len(systemd.asked) == 2  # at 1 and 2 s
    gaps = [b - a for a, b in zip(systemd.asked, systemd.asked[1:], strict=False)]
    assert all(gap >= boot.SYSTEMD_PROBE_EVERY for gap in gaps)


def test_a_boot_that_never_reaches_the_unit_is_still_seen(tmp_path: Path) -> None:
    (tmp_path / RUN_HOST_DIR).mkdir()
    systemd = FakeSystemd("maintenance")
    assert _wait(systemd, tmp_path, timeout=10).state == "maintenance"
