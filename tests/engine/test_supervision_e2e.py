"""Supervision after `up -d` returned: restart policies (each one, with the rich initcmd
running again on every restart), health transitions, logs across restarts, log rotation."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Richcompose
from tests.engine.helpers import SLEEPER, events, eventually, ps

pytestmark = pytest.mark.runc

COUNTED = """
    services:
      app:
        rootfs: ./rootfs
        rich: true
        initcmd: "echo start >> /data/starts"
        restart: {policy}
        command: sh -c 'sleep 0.3; exit {code}'
        volumes: ["data:/data"]
    volumes:
      data: {{}}
"""


def starts(rc: Richcompose) -> int:
    """Lines the initcmd appended to the named volume, read from the host side."""
    return (rc.root / "volumes" / "project_data" / "starts").read_text().count("start")


def up_counted(rc: Richcompose, policy: str, code: int) -> None:
    """`up -d` of an app under restart `policy` that exits with `code`, its starts counted."""
    rc.write(COUNTED.format(policy=policy, code=code))
    rc("up", "-d")


def assert_runs_once(rc: Richcompose, policy: str, code: int) -> None:
    """Under `policy`, the app that exits with `code` is never restarted: one start."""
    up_counted(rc, policy, code)
    eventually(lambda: ps(rc)["app"]["exit_code"] == code, what="exit")
    time.sleep(1)
    assert ps(rc)["app"]["restarts"] == 0 and starts(rc) == 1
    rc("down", "-v")


def test_always_restarts_and_the_initcmd_runs_on_every_start(rc: Richcompose) -> None:
    up_counted(rc, "always", 0)
    eventually(lambda: ps(rc)["app"]["restarts"] >= 2, what="two restarts")
    rc("stop")  # a user's stop is final, even with restart: always
    restarts = ps(rc)["app"]["restarts"]
    assert starts(rc) == restarts + 1
    time.sleep(1)
    assert ps(rc)["app"]["state"] == "exited"
    rc("down", "-v")


def test_on_failure_n_restarts_n_times_then_gives_up(rc: Richcompose) -> None:
    up_counted(rc, "on-failure:2", 3)
    # Given up: the last exit recorded after the second restart (the watch marker may not
    # exist yet right after `up`, so it alone cannot tell).
    eventually(lambda: (r := ps(rc)["app"])["restarts"] == 2 and r["state"] == "exited",
               what="the monitor to give up")
    eventually(lambda: not (rc.root / "projects/project/supervise/project-app-1.json").exists(),
               what="the watch marker to go")
    row = ps(rc)["app"]
    assert row["restarts"] == 2 and row["exit_code"] == 3 and row["state"] == "exited"
    assert starts(rc) == 3
    rc("down", "-v")


def test_on_failure_leaves_a_successful_exit_alone(rc: Richcompose) -> None:
    assert_runs_once(rc, "on-failure", 0)


def test_no_policy_never_restarts(rc: Richcompose) -> None:
    assert_runs_once(rc, "no", 1)


def test_unless_stopped_restarts_until_stopped(rc: Richcompose) -> None:
    up_counted(rc, "unless-stopped", 1)
    eventually(lambda: ps(rc)["app"]["restarts"] >= 1, what="a restart")
    rc("stop")
    count = starts(rc)
    time.sleep(1)
    assert starts(rc) == count
    rc("down", "-v")


def test_logs_keep_the_output_of_every_run(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            restart: on-failure:2
            command: sh -c 'echo run-$$; sleep 0.2; exit 1'
    """)
    rc("up", "-d")
    eventually(lambda: rc("logs", "app").stdout.count("run-") == 3, what="three runs logged")

    def actions() -> list[str]:
        return [e["action"] for e in events(rc) if e["service"] == "app"]
    # The third run prints before it exits: its `die` comes a moment after its output.
    eventually(lambda: actions().count("die") == 3, what="three exits recorded")
    assert actions().count("restart") == 2
    rc("down")


def test_health_goes_starting_healthy_unhealthy_and_ps_shows_it(rc: Richcompose) -> None:
    rc.write(f"""
        services:
          web:
            rootfs: ./rootfs
            command: {SLEEPER}
            healthcheck:
              test: ["CMD-SHELL", "cat /tmp/ok"]
              interval: 200ms
              retries: 2
              start_period: 60s  # failures before the first success do not count
              start_interval: 200ms
    """)
    rc("up", "-d")
    assert ps(rc)["web"]["health"] == "starting"
    rc("exec", "-T", "web", "sh", "-c", "echo fine > /tmp/ok")
    eventually(lambda: ps(rc)["web"]["health"] == "healthy", what="healthy")
    assert "healthy" in rc("ps").stdout
    healthy = json.loads(rc("inspect", "web").stdout)[0]["State"]["Health"]
    assert healthy["log"][-1]["output"] == "fine\n"
    assert ps(rc)["web"]["health_output"] == "fine\n"
    rc("exec", "-T", "web", "rm", "/tmp/ok")
    eventually(lambda: ps(rc)["web"]["health"] == "unhealthy", what="unhealthy")
    health = json.loads(rc("inspect", "web").stdout)[0]["State"]["Health"]
    assert health["failing_streak"] >= 2
    assert "No such file" in health["log"][-1]["output"]
    rc("down")


def test_wait_returns_once_the_service_is_healthy(rc: Richcompose) -> None:
    rc.write(f"""
        services:
          web:
            rootfs: ./rootfs
            command: sh -c 'trap "exit 0" TERM; sleep 0.5; touch /tmp/ok; while :; do sleep 0.1; done'
            healthcheck: {{test: "test -f /tmp/ok", interval: 200ms}}
          side: {{rootfs: ./rootfs, command: {SLEEPER}}}
    """)
    rc("up", "-d", "--wait")
    rows = ps(rc)
    assert rows["web"]["health"] == "healthy" and rows["side"]["state"] == "running"
    rc("down")


def test_wait_timeout_fails_when_never_healthy(rc: Richcompose) -> None:
    rc.write(f"""
        services:
          web:
            rootfs: ./rootfs
            command: {SLEEPER}
            healthcheck: {{test: "exit 1", interval: 1s, start_period: 60s, start_interval: 200ms}}
    """)
    start = time.monotonic()
    up = rc("up", "-d", "--wait", "--wait-timeout", "1", check=False)
    assert up.returncode == 1 and "not ready within 1s" in up.stderr
    assert time.monotonic() - start < 10
    rc("down")


@pytest.mark.parametrize("how", ["environment", "logging-options"])
def test_log_files_are_capped_in_size(rc: Richcompose, how: str) -> None:
    logging = "logging: {driver: json-file, options: {max-size: 16k}}" \
        if how == "logging-options" else ""
    rc.write(f"""
        services:
          chatty:
            rootfs: ./rootfs
            command: >-
              sh -c 'i=0; while [ $$i -lt 3000 ]; do echo line-$$i-xxxxxxxxxxxxxxxxxxxxxxxx;
              i=$$((i+1)); done; echo last-line; sleep 300'
            stop_grace_period: 0s
            {logging}
    """)
    env = {"RICHCOMPOSE_LOG_MAX_SIZE": "16k"} if how == "environment" else {}
    up = rc("up", "-d", env=env)
    assert "warning" not in up.stderr  # $$ reaches the shell; max-size is honoured, not ignored
    eventually(lambda: "last-line" in rc("logs", "chatty").stdout, what="last line")
    log = rc.root / "projects/project/containers/project-chatty-1/container.log"
    assert log.stat().st_size <= 20 * 1024
    assert "line-2999-" in rc("logs", "chatty").stdout  # the loop really ran 3,000 times
    rc("down")
