"""The walking skeleton, end to end under real runc: the hello example's shape."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Richcompose, leftovers, wait_log

pytestmark = pytest.mark.runc

HELLO = """
    name: hello
    services:
      db:
        rootfs: ./rootfs
        command: ["sh", "-c", "echo db-ready; exec sleep 300"]
      app:
        rootfs: ./rootfs
        rich: true
        initcmd: "echo initcmd-ran > /tmp/init.log"
        environment: {GREETING: hi}
        command: sh -c 'cat /tmp/init.log; echo "app says $$GREETING"; exec sleep 300'
        depends_on:
          db: {condition: service_started}
"""


def test_up_starts_db_before_app_and_pid1_is_dumb_init(rc: Richcompose) -> None:
    rc.write(HELLO)
    up = rc("up", "-d")
    assert up.stderr.index("db") < up.stderr.index("started hello-app-1")
    ps = json.loads(rc("ps", "--format", "json").stdout)
    assert {row["service"]: row["state"] for row in ps} == {"db": "running", "app": "running"}
    pid1 = rc("exec", "-T", "app", "cat", "/proc/1/cmdline").stdout.split("\0")
    assert pid1[0].endswith("/dumb-init")
    assert "sleep" in rc("exec", "-T", "app", "ps").stdout
    rc("down")


def test_logs_keep_what_each_service_printed(rc: Richcompose) -> None:
    rc.write(HELLO)
    rc("up", "-d")
    assert "db-ready" in wait_log(rc, "db", "db-ready")
    app = wait_log(rc, "app", "app says hi")
    assert "initcmd-ran" in app  # the initcmd hook ran inside the container before the command
    rc("down")


def test_exec_passes_the_exit_code_through(rc: Richcompose) -> None:
    rc.write(HELLO)
    rc("up", "-d")
    assert rc("exec", "-T", "db", "sh", "-c", "exit 3", check=False).returncode == 3
    rc("down")


def test_exit_code_of_a_finished_container_is_shown_by_ps(rc: Richcompose) -> None:
    rc.write("""
        services:
          job:
            rootfs: ./rootfs
            command: sh -c 'exit 7'
    """)
    rc("up", "-d")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = json.loads(rc("ps", "-a", "--format", "json").stdout)
        if rows[0]["exit_code"] is not None:
            break
        time.sleep(0.1)
    assert rows[0]["state"] == "exited" and rows[0]["exit_code"] == 7
    rc("down")


def test_down_leaves_no_container_mount_or_process(rc: Richcompose) -> None:
    rc.write(HELLO)
    rc("up", "-d")
    assert leftovers(rc.root)  # containers and mounts exist while up
    rc("down")
    assert leftovers(rc.root) == []
    assert not (rc.root / "projects" / "project").exists()
