"""Inner system services in dumb-init and sbin-init modes: started in `after:` order, each
ready before the next, all before the command; a failing one fails the start."""

from __future__ import annotations

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


def test_a_system_service_that_exits_fails_the_start(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: sleep 300
            system_services:
              broken: {command: sh -c 'echo no config >&2; exit 4'}
    """)
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "system service broken failed: exited with status 4" in up.stderr
    assert "no config" in rc("logs", "app").stdout
    rc("down")


def test_a_system_service_never_ready_fails_the_start(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: sleep 300
            system_services:
              slow:
                command: sleep 300
                ready: {file: /tmp/never, timeout: 1s}
    """)
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "system service slow did not become ready" in up.stderr
    rc("down")


def test_a_system_service_that_exits_while_awaited_fails_at_once(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: sleep 300
            system_services:
              crashy:
                command: sh -c 'exit 2'
                ready: {port: 9999, timeout: 60s}
    """)
    up = rc("up", "-d", check=False, timeout=30)
    assert up.returncode != 0
    assert "system service crashy exited before it was ready" in up.stderr
    rc("down")
