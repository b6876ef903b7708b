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


def _wait_rebooted(rc: Richcompose, old_boot_id: str) -> None:
    deadline = time.monotonic() + 180  # generous: CI shares two cores
    while _exec(rc, "cat", "/proc/sys/kernel/random/boot_id") in ("", old_boot_id):
        assert time.monotonic() < deadline, rc("ps", "-a").stdout
        time.sleep(0.2)
    wait_exec(rc, "vm", ["systemctl", "is-system-running"], "running", timeout=180)


def _exec_under_pty(rc: Richcompose, *argv: str) -> str:
    """`richcompose exec -it vm ARGV` with a terminal as stdin/stdout, as a user types it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "richcompose", "--root", str(rc.root), "exec", "-it", "vm",
         *argv], cwd=rc.project_dir, stdin=slave, stdout=slave, stderr=slave,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
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
    shutil.copy2(EXAMPLE / "compose.yaml", rc.project_dir / "compose.yaml")
    subprocess.run([str(EXAMPLE / "make-vm-tarball.sh"),
                    str(rc.project_dir / "legacy-vm.tar.gz")], check=True, timeout=900)
    up = rc("up", "--wait", timeout=300)
    assert "booted (running)" in up.stderr
    # One exec for many checks (each CLI call costs ~1 s): no polling, --wait returned after
    # the boot; PID 1 is the VM's init and nothing else was added; every unit of the VM
    # restarts inside without stopping the container.
    script = ("systemctl is-system-running; tr '\\0' ' ' </proc/1/cmdline; echo; "
              "systemctl list-units --all --plain --no-legend | grep -c richcompose-app; "
              f"for u in {' '.join(UNITS)}; do systemctl restart $u && systemctl is-active $u; "
              "done; echo kept > /root/notes.txt; cat /proc/sys/kernel/random/boot_id")
    lines = _exec(rc, "sh", "-c", script).splitlines()
    assert lines[0] == "running" and lines[1].split()[0] == "/sbin/init" and lines[2] == "0"
    assert lines[3:6] == ["active"] * 3
    old_boot = lines[6]
    row = ps_rows(rc)["vm"]
    assert row["state"] == "running" and row["restarts"] == 0 and row["exit_code"] is None
    assert row["boot"] == "running" and "disks/legacy/legacy-vm-1" in str(row["disk"])
    assert int(str(row["disk_size"])) > 0
    assert "BOOT" in rc("ps").stdout
    assert "/dev/pts/" in _exec_under_pty(rc, "tty")

    # reboot inside: the container comes back, the initscript runs again, a second boot,
    # and `logs -f` shows the new boot's console as it happens
    follow = subprocess.Popen(
        [sys.executable, "-m", "richcompose", "--root", str(rc.root), "logs", "-f", "--tail",
         "0", "vm"], cwd=rc.project_dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        rc("exec", "-T", "vm", "systemctl", "reboot", check=False)
        _wait_rebooted(rc, old_boot)
        seen = ""
        deadline = time.monotonic() + 120
        assert follow.stdout is not None

        def new_boot_seen() -> bool:
            return "Rebooting" in seen and "Reached target" in seen.split("Rebooting", 1)[1]
        while not new_boot_seen() and time.monotonic() < deadline:
            if select.select([follow.stdout], [], [], 1.0)[0]:
                seen += os.read(follow.stdout.fileno(), 65536).decode(errors="replace")
        assert new_boot_seen(), seen[-2000:]
    finally:
        follow.kill()  # our own `logs -f`, by its Popen
        follow.wait()
    out = _exec(rc, "sh", "-c", "wc -l < /var/lib/legacy/starts; cat /root/notes.txt; "
                "journalctl -b -1 -q --no-pager -n 1 | wc -l; "
                "journalctl --list-boots --no-pager").splitlines()
    assert out[:3] == ["2", "kept", "1"]  # initscript twice, disk kept, last boot's journal
    assert len(re.findall(r"^\s*-?\d+\s+[0-9a-f]{32}\s", "\n".join(out[3:]), re.MULTILINE)) == 2

    # the disk survives an edit of the project file + up, and down + up
    text = (rc.project_dir / "compose.yaml").read_text()
    (rc.project_dir / "compose.yaml").write_text(text.replace("legacy-vm01", "legacy-vm02"))
    assert "recreating" in rc("up", "--wait", timeout=300).stderr
    assert _exec(rc, "sh", "-c", "hostname; cat /root/notes.txt").split() == ["legacy-vm02",
                                                                              "kept"]
    assert "disks/legacy/legacy-vm-1" in rc("inspect", "vm").stdout
    rc("down")
    rc("up", "--wait", timeout=300)
    assert _exec(rc, "cat", "/root/notes.txt") == "kept"

    # poweroff inside ends the container with 0, and no restart policy brings it back
    rc("exec", "-T", "vm", "poweroff", check=False)
    deadline = time.monotonic() + 180
    while (row := ps_rows(rc)["vm"])["state"] != "exited":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert row["exit_code"] == 0

    rc("down", "-v")
    rc("up", "--wait", timeout=300)
    assert _exec(rc, "cat", "/root/notes.txt") == ""  # down -v removed the disk
    rc("down", "-v")
