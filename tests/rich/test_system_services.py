"""Inner system services in dumb-init and sbin-init modes: started in `after:` order, each
ready before the next, all before the command; a failing one fails the start."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import Richcompose, wait_log

pytestmark = pytest.mark.runc

ORDERED = """
    services:
      app:
        rootfs: ./rootfs
        rich: true
        rich_mode: {mode}
        stop_grace_period: 1s
        environment: {{GREETING: hello}}
        command: sh -c 'echo "app sees" $(cat /tmp/order); exec sleep 300'
        system_services:
          agent:
            command: sh -c 'sleep 0.3; echo agent >> /tmp/order; touch /tmp/agent.ready; exec sleep 300'
            after: [db]
            ready: {{file: /tmp/agent.ready, timeout: 5s}}
          db:
            command: >-
              sh -c 'echo db $(env | grep -E "^(GREETING|ROLE)=" | sort | cut -d= -f2) >> /tmp/order;
              exec nc -l -p 7000 -e cat'
            environment: {{ROLE: primary}}
            ready: {{port: 7000, timeout: 5s}}
"""


@pytest.mark.parametrize("mode", ["dumb-init", "sbin-init"])
def test_system_services_start_in_order_and_ready_before_the_command(
        rc: Richcompose, mode: str) -> None:
    rc.write(ORDERED.format(mode=mode))
    rc("up", "-d")
    logs = wait_log(rc, "app", "app sees")
    assert "app sees db hello primary agent" in logs
    assert "starting system service db" in logs
    assert logs.index("starting system service db") < logs.index("starting system service agent")
    rc("down", "-t", "1")


def rich_app(system_services: str, stop_grace_period: str | None = None) -> str:
    """A compose file: one rich app that sleeps, beside `system_services` (that mapping's YAML)."""
    grace = "" if stop_grace_period is None else f"    stop_grace_period: {stop_grace_period}\n"
    return ("services:\n  app:\n    rootfs: ./rootfs\n    rich: true\n" + grace
            + "    command: sleep 300\n    system_services:\n"
            + textwrap.indent(textwrap.dedent(system_services).strip("\n"), " " * 6) + "\n")


def up_fails(rc: Richcompose, system_services: str, timeout: float = 120) -> str:
    """The error of `up -d` of `rich_app(system_services)`, which must fail."""
    rc.write(rich_app(system_services))
    up = rc("up", "-d", check=False, timeout=timeout)
    assert up.returncode != 0
    return up.stderr


def test_a_system_service_that_exits_fails_the_start(rc: Richcompose) -> None:
    error = up_fails(rc, "broken: {command: sh -c 'echo no config >&2; exit 4'}")
    assert "system service broken failed: exited with status 4" in error
    assert "no config" in rc("logs", "app").stdout
    rc("down")


def test_a_system_service_never_ready_fails_the_start(rc: Richcompose) -> None:
    error = up_fails(rc, """
        slow:
          command: sleep 300
          ready: {file: /tmp/never, timeout: 1s}
    """)
    assert "system service slow did not become ready" in error
    rc("down")


def test_a_system_service_that_exits_while_awaited_fails_at_once(rc: Richcompose) -> None:
    error = up_fails(rc, """
        crashy:
          command: sh -c 'exit 2'
          ready: {port: 9999, timeout: 60s}
    """, timeout=30)
    assert "system service crashy exited before it was ready" in error
    rc("down")


def test_a_system_service_that_dies_after_start_is_logged_and_restarted_not_fatal(
        rc: Richcompose) -> None:
    rc.write(rich_app("""
        flaky:
          command: sh -c 'echo run >> /tmp/runs; sleep 0.5; exit 3'
          restart: always
        once: {command: sh -c 'sleep 0.3; exit 0'}
    """, stop_grace_period="1s"))
    rc("up", "-d")
    logs = wait_log(rc, "app", "restarting system service flaky")
    assert "system service flaky exited with status 3" in logs
    wait_log(rc, "app", "system service once exited with status 0")
    runs = rc("exec", "-T", "app", "cat", "/tmp/runs").stdout.split()
    assert len(runs) >= 2
    assert rc("ps", "--format", "json").stdout.count('"running"') == 1
    rc("down", "-t", "1")


def test_a_required_system_service_that_ends_stops_the_container(rc: Richcompose) -> None:
    rc.write(rich_app("lifeline: {command: sh -c 'sleep 0.5; exit 3', required: true}"))
    rc("up", "-d")
    wait_log(rc, "app", "required system service lifeline ended: stopping the container")
    assert rc("wait", "app", check=False).stdout.strip() == "143"  # the command got TERM
    rc("down")
