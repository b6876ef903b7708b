"""Faults: the monitor or the CLI killed with SIGKILL mid-`up`, and two `up`s at once; a
later `up` or `down` reconciles with runc and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Richcompose, leftovers
from tests.engine.helpers import SLEEPER, events, eventually, ps

pytestmark = pytest.mark.runc


def monitor_pid(rc: Richcompose) -> int:
    data = json.loads((rc.root / "projects/project/monitor.pid").read_text())
    return int(data["pid"])


def popen(rc: Richcompose, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "richcompose", "--root", str(rc.root), *args],
                            cwd=rc.project_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


SLOW_HEALTH = f"""
    services:
      db:
        rootfs: ./rootfs
        restart: always
        command: sh -c 'trap "exit 0" TERM; sleep 2; touch /tmp/ok; while :; do sleep 0.1; done'
        healthcheck: {{test: "test -f /tmp/ok", interval: 200ms, start_period: 30s,
                       start_interval: 200ms}}
      app:
        rootfs: ./rootfs
        command: {SLEEPER}
        depends_on: {{db: {{condition: service_healthy}}}}
"""


def test_monitor_killed_is_replaced_by_the_next_up_and_down_is_clean(rc: Richcompose) -> None:
    rc.write(SLOW_HEALTH)
    rc("up", "-d")
    os.kill(monitor_pid(rc), signal.SIGKILL)
    rc("kill", "-s", "TERM", "app")  # not supervised: stays down
    rc("up", "-d")  # reconciles: app is started again, a new monitor takes over
    assert ps(rc)["app"]["state"] == "running"
    first = monitor_pid(rc)
    rc("exec", "-T", "db", "kill", "1")  # the new monitor restarts db
    eventually(lambda: ps(rc)["db"]["restarts"] >= 1 and ps(rc)["db"]["state"] == "running",
               what="db restarted by the new monitor")
    assert monitor_pid(rc) == first
    rc("down")
    assert leftovers(rc.root) == []


def test_monitor_killed_while_up_waits_for_health_is_restarted(rc: Richcompose) -> None:
    rc.write(SLOW_HEALTH)
    up = popen(rc, "up", "-d")
    pidfile = rc.root / "projects/project/monitor.pid"
    eventually(lambda: pidfile.exists(), what="a monitor")
    os.kill(monitor_pid(rc), signal.SIGKILL)
    assert up.wait(60) == 0, up.stderr.read() if up.stderr else ""
    assert ps(rc)["app"]["state"] == "running"
    rc("down")


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_cli_killed_mid_up_then_down_leaves_nothing(rc: Richcompose, delay: float) -> None:
    rc.write(SLOW_HEALTH)
    up = popen(rc, "up", "-d")
    time.sleep(delay)
    up.send_signal(signal.SIGKILL)
    up.wait()
    rc("down", "-t", "1")
    assert leftovers(rc.root) == []
    assert not (rc.root / "projects" / "project").exists()


def test_cli_killed_mid_up_then_up_again_reconciles(rc: Richcompose) -> None:
    rc.write(SLOW_HEALTH)
    up = popen(rc, "up", "-d")
    time.sleep(0.8)
    up.send_signal(signal.SIGKILL)
    up.wait()
    rc("up", "-d")
    rows = ps(rc)
    assert rows["db"]["state"] == rows["app"]["state"] == "running"
    runc = subprocess.run(["runc", "--root", str(rc.runtime_root), "list", "-q"],
                          capture_output=True, text=True).stdout.split()
    assert sorted(runc) == ["project-app-1", "project-db-1"]
    rc("down")


def test_second_concurrent_up_waits_for_the_first(rc: Richcompose) -> None:
    rc.write(SLOW_HEALTH)
    first = popen(rc, "up", "-d")
    eventually(lambda: (rc.root / "projects/project/containers").exists(), what="first up")
    second = popen(rc, "up", "-d")
    assert first.wait(60) == 0 and second.wait(60) == 0
    assert second.stderr is not None and "waiting for another richcompose" in second.stderr.read()
    assert {row["state"] for row in ps(rc).values()} == {"running"}
    rc("down")


def test_down_removes_a_container_runc_knows_but_the_records_lost(rc: Richcompose) -> None:
    rc.write(f"services:\n  a: {{rootfs: ./rootfs, command: {SLEEPER}}}\n")
    rc("up", "-d")
    (rc.root / "projects/project/containers/project-a-1/container.json").unlink()
    rc("down")
    assert leftovers(rc.root) == []


def test_project_dir_is_gone_after_down(rc: Richcompose) -> None:
    rc.write(f"services:\n  a: {{rootfs: ./rootfs, command: {SLEEPER}}}\n")
    rc("up", "-d")
    rc("down")
    assert not Path(rc.root / "projects" / "project").exists()


RESTARTING = f"""
    services:
      db:
        rootfs: ./rootfs
        restart: always
        command: {SLEEPER}
"""


def test_a_container_that_dies_while_no_monitor_runs_is_restarted_by_the_next_ps(
        rc: Richcompose) -> None:
    rc.write(RESTARTING)
    rc("up", "-d")
    pid1 = ps(rc)["db"]["pid"]
    os.kill(monitor_pid(rc), signal.SIGKILL)
    os.kill(pid1, signal.SIGKILL)  # the test's own container's PID 1
    eventually(lambda: (rc.root / "projects/project/exits/project-db-1").exists(),
               what="db's exit code")
    view = rc("ps")
    assert "monitor was not running" in view.stderr
    eventually(lambda: ps(rc)["db"]["restarts"] >= 1 and ps(rc)["db"]["state"] == "running",
               what="db restarted by the revived monitor")
    rc("down", "-t", "1")
    assert leftovers(rc.root) == []


def conmon_of(rc: Richcompose, service: str) -> int:
    path = rc.root / "projects/project/containers" / f"project-{service}-1" / "conmon.pid"
    return int(path.read_text())


def test_a_container_whose_conmon_dies_is_restarted_per_its_policy(rc: Richcompose) -> None:
    rc.write(RESTARTING)
    rc("up", "-d")
    before = conmon_of(rc, "db")
    os.kill(before, signal.SIGKILL)  # our container's conmon, by PID
    eventually(lambda: ps(rc)["db"]["restarts"] >= 1 and ps(rc)["db"]["state"] == "running",
               what="db restarted after its conmon died")
    assert conmon_of(rc, "db") != before
    died = [e for e in events(rc) if e["action"] == "die"]
    assert died and died[0]["attributes"]["exitCode"] == 137
    rc("down", "-t", "1")
    assert leftovers(rc.root) == []


def test_a_container_whose_conmon_dies_without_a_policy_is_stopped_by_the_next_ps(
        rc: Richcompose) -> None:
    rc.write(f"services:\n  a: {{rootfs: ./rootfs, command: {SLEEPER}}}\n")
    rc("up", "-d")
    os.kill(conmon_of(rc, "a"), signal.SIGKILL)
    view = rc("ps")
    assert "lost its conmon" in view.stderr
    row = ps(rc)["a"]
    assert row["state"] == "exited" and row["exit_code"] == 137
    rc("down", "-t", "1")
    assert leftovers(rc.root) == []
