"""dumb-init mode under real runc: PID 1, signal forwarding, exit codes."""

from __future__ import annotations

import time

import pytest

from tests.conftest import Richcompose, wait_log
from tests.rich.conftest import pid1, ppid_of, ps_rows

pytestmark = pytest.mark.runc


def _wait_exit(rc: Richcompose, service: str, timeout: float = 10) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = ps_rows(rc)[service]
        if row["state"] == "exited":
            return row["exit_code"]
        time.sleep(0.1)
    raise AssertionError(f"{service} did not exit")


def test_pid1_is_dumb_init_and_the_command_its_child(rc: Richcompose) -> None:
    rc.write("""
        services:
          app: {rootfs: ./rootfs, rich: true, command: sleep 300}
    """)
    rc("up", "-d")
    assert pid1(rc, "app").endswith("/dumb-init")
    assert ppid_of(rc, "app", "sleep") == 1
    rc("down", "-t", "1")


def test_exit_code_of_the_command_is_the_containers(rc: Richcompose) -> None:
    rc.write("""
        services:
          app: {rootfs: ./rootfs, rich: true, command: sh -c 'exit 7'}
    """)
    rc("up", "-d")
    assert _wait_exit(rc, "app") == 7
    rc("down")


def test_stop_signal_reaches_the_command_through_dumb_init(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: ["sh", "-c", "trap 'echo got-term; exit 5' TERM; echo armed; while :; do sleep 1; done"]
    """)
    rc("up", "-d")
    wait_log(rc, "app", "armed")
    rc("stop", "-t", "5")
    assert _wait_exit(rc, "app") == 5
    assert "got-term" in rc("logs", "app").stdout
    rc("down")


def test_compose_init_true_runs_tini_as_pid1_without_rich(rc: Richcompose) -> None:
    rc.write("""
        services:
          app: {rootfs: ./rootfs, init: true, command: sleep 300}
    """)
    rc("up", "-d")
    assert pid1(rc, "app") == "/.richcompose-init"
    rc("down", "-t", "1")
