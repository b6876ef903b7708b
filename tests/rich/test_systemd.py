"""systemd mode under real runc, unprivileged with the default capabilities, on the
debootstrap-built image: boot to `running`, the command as a unit ordered after the system
services, console output in the logs, clean stop with SIGRTMIN+3."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import Richcompose, wait_log
from tests.rich.conftest import pid1, ppid_of, ps_rows, wait_exec

pytestmark = [pytest.mark.runc, pytest.mark.systemd]


PREP = """
    prep:
      command: sh -c 'echo prep > /run/order; touch /run/prep.ready; exec sleep 300'
      ready: {file: /run/prep.ready, timeout: 10s}
"""


def _project(rootfs: Path, mode: str = "systemd", command: str | None = "sleep 300",
             environment: str | None = "{GREETING: hello}", system_services: str = PREP) -> str:
    """A compose file: one rich app on `rootfs` (no command: or environment: key for None)."""
    lines = ["services:", "  app:", f"    rootfs: {rootfs}", "    rich: true",
             f"    rich_mode: {mode}"]
    lines += [] if environment is None else [f"    environment: {environment}"]
    lines += [] if command is None else [f"    command: {command}"]
    lines += ["    system_services:",
              textwrap.indent(textwrap.dedent(system_services).strip("\n"), " " * 6)]
    return "\n".join(lines) + "\n"


def _exit_code(rc: Richcompose) -> object:
    """The app's exit code once it has exited (waiting up to 20 s)."""
    deadline = time.monotonic() + 20
    while ps_rows(rc)["app"]["state"] != "exited" and time.monotonic() < deadline:
        time.sleep(0.2)
    return ps_rows(rc)["app"]["exit_code"]


ORDER_COMMAND = """sh -c 'echo "app says $$GREETING after $(cat /run/order)"; exec sleep 300'"""


def test_systemd_boots_to_running_with_the_command_after_its_system_service(
        rc: Richcompose, systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs, command=ORDER_COMMAND))
    rc("up", "-d")
    wait_exec(rc, "app", ["systemctl", "is-system-running"], "running")
    logs = wait_log(rc, "app", "app says hello after prep")
    assert "Reached target multi-user.target" in logs  # systemd's console reaches the logs
    assert "Failed to set hostname" not in logs
    assert pid1(rc, "app") == "/lib/systemd/systemd"
    ps = rc("exec", "-T", "app", "ps", "-eo", "pid,comm").stdout.split()
    assert ps[ps.index("1") + 1] == "systemd"
    assert ppid_of(rc, "app", "sleep") == 1
    rc("down")


def test_sbin_init_on_a_systemd_image_is_systemd_mode(rc: Richcompose,
                                                      systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs, mode="sbin-init"))
    rc("up", "-d")
    wait_exec(rc, "app", ["systemctl", "is-system-running"], "running")
    assert rc("exec", "-T", "app", "readlink", "-f", "/proc/1/exe").stdout.strip() \
        == "/usr/lib/systemd/systemd"
    rc("down")


def test_systemd_survives_stop_and_up_again(rc: Richcompose, systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs))
    for _ in range(2):
        rc("up", "-d")
        wait_exec(rc, "app", ["systemctl", "is-system-running"], "running")
        assert ppid_of(rc, "app", "sleep") == 1
        started = time.monotonic()
        rc("stop")
        assert time.monotonic() - started < 5  # SIGRTMIN+3, not the grace period
        assert ps_rows(rc)["app"]["exit_code"] == 0
    rc("down")


def test_the_commands_exit_status_ends_the_container(rc: Richcompose,
                                                     systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs, command="sh -c 'sleep 1; exit 3'"))
    rc("up", "-d")
    assert _exit_code(rc) == 3
    rc("down")


def test_systemd_mode_on_an_image_without_systemd_is_an_error_before_start(
        rc: Richcompose) -> None:
    rc.write("""
        services:
          app: {rootfs: ./rootfs, rich: true, rich_mode: systemd, command: sleep 1}
    """)
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "the image has no systemd" in up.stderr
    assert "started" not in up.stderr


def test_a_failing_required_system_service_stops_the_container_with_its_status(
        rc: Richcompose, systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs, environment=None, system_services=(
        "broken: {command: sh -c 'echo no config >&2; exit 4', required: true}")))
    rc("up", "-d")
    assert _exit_code(rc) == 4
    assert "no config" in rc("logs", "app").stdout
    rc("down")


def test_a_failing_system_service_is_reported_at_boot_and_the_vm_stays_up(
        rc: Richcompose, systemd_rootfs: Path) -> None:
    rc.write(_project(systemd_rootfs, command=None, environment=None,
                      system_services="broken: {command: sh -c 'echo no config >&2; exit 4'}"))
    up = rc("up", "-d")
    assert "booted degraded (failed units: richcompose-inner-broken.service)" in up.stderr
    row = ps_rows(rc)["app"]
    assert row["state"] == "running" and row["boot"].startswith("degraded")
    rc("down")
