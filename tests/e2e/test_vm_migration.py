"""examples/vm-migration, operated like the VM it was (issue #12's done-when): a systemd tree
with two enabled units of the VM (legacyd Requires= legacy-store) and a third of the user's,
booted without a command: `up --wait` returns after boot; restarting each unit keeps the
container; `reboot` inside comes back with the initscript run again and two boots in the
journal; a file survives an edit + `up` and `down` + `up`, not `down -v`; `exec -it` works
under a pty; `logs -f` shows the console live; `poweroff` ends the container with 0."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, Richcompose
from tests.rich.conftest import ps_rows, wait_exec

pytestmark = [pytest.mark.runc, pytest.mark.systemd]
EXAMPLE = REPO / "examples" / "vm-migration"
UNITS = ("legacy-store.service", "legacyd.service", "richcompose-inner-reporter.service")


def _exec(rc: Richcompose, *argv: str) -> str:
    return rc("exec", "-T", "vm", *argv, check=False).stdout.strip()


def _boots(rc: Richcompose) -> list[str]:
    out = _exec(rc, "journalctl", "--list-boots", "--no-pager")
    return re.findall(r"^\s*-?\d+\s+([0-9a-f]{32})\s", out, re.MULTILINE)


def _wait_rebooted(rc: Richcompose, old_boot_id: str) -> None:
    deadline = time.monotonic() + 60
    while _exec(rc, "cat", "/proc/sys/kernel/random/boot_id") in ("", old_boot_id):
        assert time.monotonic() < deadline, rc("ps", "-a").stdout
        time.sleep(0.2)
    wait_exec(rc, "vm", ["systemctl", "is-system-running"], "running", timeout=60)


def _exec_under_pty(rc: Richcompose, *argv: str) -> str:
    """`richcompose exec -it vm ARGV` with a terminal as stdin/stdout, as a user types it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "richcompose", "--root", str(rc.root), "exec", "-it", "vm",
         *argv], cwd=rc.project_dir, stdin=slave, stdout=slave, stderr=slave,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    assert proc.returncode == 0, out
    return out.decode(errors="replace")


def test_a_migrated_vm_is_operated_like_a_vm(rc: Richcompose) -> None:
    T0 = time.monotonic()
    print('T', round(time.monotonic()-T0,1), 'shutil.copy2(EXAMPLE / "compose.yaml", r', flush=True)
    shutil.copy2(EXAMPLE / "compose.yaml", rc.project_dir / "compose.yaml")
    print('T', round(time.monotonic()-T0,1), 'subprocess.run([str(EXAMPLE / "make-vm-t', flush=True)
    subprocess.run([str(EXAMPLE / "make-vm-tarball.sh"),
                    str(rc.project_dir / "legacy-vm.tar.gz")], check=True, timeout=900)
    print('T', round(time.monotonic()-T0,1), 'up = rc("up", "--wait", timeout=300)', flush=True)
    up = rc("up", "--wait", timeout=300)
    print('T', round(time.monotonic()-T0,1), 'assert "booted (running)" in up.stderr', flush=True)
    assert "booted (running)" in up.stderr
    # No polling: --wait returned after the boot.
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "systemctl", "is-system', flush=True)
    assert _exec(rc, "systemctl", "is-system-running") == "running"
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "cat", "/proc/1/cmdline', flush=True)
    assert _exec(rc, "cat", "/proc/1/cmdline").split("\0")[0] == "/sbin/init"
    print('T', round(time.monotonic()-T0,1), 'assert "richcompose-app.service" not in ', flush=True)
    assert "richcompose-app.service" not in _exec(rc, "systemctl", "list-units", "--all")
    print('T', round(time.monotonic()-T0,1), 'row = ps_rows(rc)["vm"]', flush=True)
    row = ps_rows(rc)["vm"]
    print('T', round(time.monotonic()-T0,1), 'assert row["boot"] == "running" and "dis', flush=True)
    assert row["boot"] == "running" and "disks/legacy/legacy-vm-1" in str(row["disk"])
    print('T', round(time.monotonic()-T0,1), 'assert int(str(row["disk_size"])) > 0', flush=True)
    assert int(str(row["disk_size"])) > 0
    print('T', round(time.monotonic()-T0,1), 'assert "BOOT" in rc("ps").stdout and "DI', flush=True)
    assert "BOOT" in rc("ps").stdout and "DISK" in rc("ps").stdout
    print('T', round(time.monotonic()-T0,1), 'pid = ps_rows(rc)["vm"]["pid"]', flush=True)
    pid = ps_rows(rc)["vm"]["pid"]

    for unit in UNITS:  # the VM's units are the VM's: restarting one never stops the container
        assert _exec(rc, "systemctl", "restart", unit) == ""
        assert _exec(rc, "systemctl", "is-active", unit) == "active"
    assert ps_rows(rc)["vm"]["state"] == "running" and ps_rows(rc)["vm"]["pid"] == pid

    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "sh", "-c", "echo kept ', flush=True)
    assert _exec(rc, "sh", "-c", "echo kept > /root/notes.txt; cat /root/notes.txt") == "kept"
    print('T', round(time.monotonic()-T0,1), 'tty = _exec_under_pty(rc, "tty")', flush=True)
    tty = _exec_under_pty(rc, "tty")
    print('T', round(time.monotonic()-T0,1), 'assert "/dev/pts/" in tty', flush=True)
    assert "/dev/pts/" in tty

    # reboot inside: the container comes back, the initscript runs again, a second boot
    print('T', round(time.monotonic()-T0,1), 'follow = subprocess.Popen(', flush=True)
    follow = subprocess.Popen(
        [sys.executable, "-m", "richcompose", "--root", str(rc.root), "logs", "-f", "--tail",
         "0", "vm"], cwd=rc.project_dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)}, text=True)
    try:
        old_boot = _exec(rc, "cat", "/proc/sys/kernel/random/boot_id")
        rc("exec", "-T", "vm", "systemctl", "reboot", check=False)
        _wait_rebooted(rc, old_boot)
        seen = ""
        deadline = time.monotonic() + 30
        assert follow.stdout is not None
        def new_boot_seen() -> bool:  # the console of the boot after the reboot, live
            return "Rebooting" in seen and "Reached target" in seen.split("Rebooting", 1)[1]
        while not new_boot_seen() and time.monotonic() < deadline:
            seen += follow.stdout.readline()
        assert "Rebooting" in seen and "Reached target" in seen.split("Rebooting", 1)[1]
    finally:
        follow.kill()  # our own `logs -f`, by its Popen
        follow.wait()
    print('T', round(time.monotonic()-T0,1), 'assert len(_exec(rc, "cat", "/var/lib/le', flush=True)
    assert len(_exec(rc, "cat", "/var/lib/legacy/starts").split()) == 2
    print('T', round(time.monotonic()-T0,1), 'assert len(_boots(rc)) == 2', flush=True)
    assert len(_boots(rc)) == 2
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "journalctl", "-b", "-1', flush=True)
    assert _exec(rc, "journalctl", "-b", "-1", "-q", "--no-pager", "-n", "1") != ""
    print('T', round(time.monotonic()-T0,1), 'assert ps_rows(rc)["vm"]["state"] == "ru', flush=True)
    assert ps_rows(rc)["vm"]["state"] == "running"

    # the disk survives an edit of the project file + up, and down + up
    print('T', round(time.monotonic()-T0,1), 'text = (rc.project_dir / "compose.yaml")', flush=True)
    text = (rc.project_dir / "compose.yaml").read_text()
    print('T', round(time.monotonic()-T0,1), '(rc.project_dir / "compose.yaml").write_', flush=True)
    (rc.project_dir / "compose.yaml").write_text(text.replace("legacy-vm01", "legacy-vm02"))
    print('T', round(time.monotonic()-T0,1), 'assert "recreating" in rc("up", "--wait"', flush=True)
    assert "recreating" in rc("up", "--wait", timeout=300).stderr
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "hostname") == "legacy-', flush=True)
    assert _exec(rc, "hostname") == "legacy-vm02"
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "cat", "/root/notes.txt', flush=True)
    assert _exec(rc, "cat", "/root/notes.txt") == "kept"
    print('T', round(time.monotonic()-T0,1), 'inspect = rc("inspect", "vm").stdout', flush=True)
    inspect = rc("inspect", "vm").stdout
    print('T', round(time.monotonic()-T0,1), 'assert \'"Disk"\' in inspect and "disks/le', flush=True)
    assert '"Disk"' in inspect and "disks/legacy/legacy-vm-1" in inspect
    print('T', round(time.monotonic()-T0,1), 'rc("down")', flush=True)
    rc("down")
    print('T', round(time.monotonic()-T0,1), 'rc("up", "--wait", timeout=300)', flush=True)
    rc("up", "--wait", timeout=300)
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "cat", "/root/notes.txt', flush=True)
    assert _exec(rc, "cat", "/root/notes.txt") == "kept"

    # poweroff inside ends the container with 0, and no restart policy brings it back
    print('T', round(time.monotonic()-T0,1), 'rc("exec", "-T", "vm", "poweroff", check', flush=True)
    rc("exec", "-T", "vm", "poweroff", check=False)
    print('T', round(time.monotonic()-T0,1), 'deadline = time.monotonic() + 30', flush=True)
    deadline = time.monotonic() + 30
    while ps_rows(rc)["vm"]["state"] != "exited":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    print('T', round(time.monotonic()-T0,1), 'assert ps_rows(rc)["vm"]["exit_code"] ==', flush=True)
    assert ps_rows(rc)["vm"]["exit_code"] == 0

    print('T', round(time.monotonic()-T0,1), 'rc("down", "-v")', flush=True)
    rc("down", "-v")
    print('T', round(time.monotonic()-T0,1), 'rc("up", "--wait", timeout=300)', flush=True)
    rc("up", "--wait", timeout=300)
    print('T', round(time.monotonic()-T0,1), 'assert _exec(rc, "cat", "/root/notes.txt', flush=True)
    assert _exec(rc, "cat", "/root/notes.txt") == ""  # down -v removed the disk
    print('T', round(time.monotonic()-T0,1), 'rc("down", "-v")', flush=True)
    rc("down", "-v")
