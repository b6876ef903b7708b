"""A damaged host: a stale namespace file, a full state root, no cgroup mounts (as inside
`ip netns exec`). Each is refused or repaired with a one-line message; `down` leaves
nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from richcompose.network import netns
from tests.conftest import REPO, Richcompose, leftovers
from tests.faults.helpers import SLEEPER, down_leaves_nothing, ps

pytestmark = pytest.mark.runc

ONE = f"services:\n  a: {{rootfs: ./rootfs, command: {SLEEPER}}}\n"


def stale_netns_file(rc: Richcompose, container_id: str) -> Path:
    """What `ip netns add` inside `ip netns exec` leaves on the host: a plain empty file."""
    path = netns.netns_path(netns.netns_name(container_id, netns.scope_of(rc.root)))
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"")
    return path


def test_a_stale_namespace_file_is_replaced_by_up(rc: Richcompose) -> None:
    stale = stale_netns_file(rc, "project-a-1")
    rc.write(ONE)
    try:
        rc("up", "-d")
        assert ps(rc)["a"]["state"] == "running"
        assert netns.is_namespace(stale)
        down_leaves_nothing(rc)
        assert not stale.exists()
    finally:
        if stale.exists() and not netns.is_namespace(stale):
            stale.unlink()


def test_a_stale_namespace_file_without_a_container_is_removed_by_down(
        rc: Richcompose) -> None:
    rc.write(ONE)
    rc("up", "-d")
    stale = stale_netns_file(rc, "project-gone-1")
    try:
        down_leaves_nothing(rc)
        assert not stale.exists()
    finally:
        stale.unlink(missing_ok=True)


def test_without_cgroup_mounts_up_is_refused_before_anything_is_made(rc: Richcompose) -> None:
    rc.write(ONE)
    # A private mount namespace without the cgroup mounts, as `ip netns exec` makes one.
    script = ("umount -l /sys/fs/cgroup/* 2>/dev/null; umount -l /sys/fs/cgroup; "
              f"exec {sys.executable} -m richcompose --root {rc.root} up -d")
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          cwd=rc.project_dir, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode != 0
    assert "nsenter --net=" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (rc.root / "projects" / "project").exists()
    assert leftovers(rc.root) == []


def test_a_full_state_root_fails_up_in_one_line_and_down_still_cleans_it(
        rc: Richcompose, tmp_path: Path) -> None:
    rc.root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(rc.root)], check=True)
    try:
        rc.write(ONE + f"  b: {{rootfs: ./rootfs, command: {SLEEPER}, depends_on: [a]}}\n")
        rc("up", "-d", "a")
        filler = rc.root / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
        up = rc("up", "-d", check=False)
        assert up.returncode != 0 and "Traceback" not in up.stderr, up.stderr
        assert len([line for line in up.stderr.splitlines() if "error" in line]) >= 1
        view = rc("ps", check=False)
        assert view.returncode == 0 and "Traceback" not in view.stderr, view.stderr
        assert ps(rc)["a"]["state"] == "running"
        down_leaves_nothing(rc)  # with the disk still full
    finally:
        subprocess.run(["umount", "-l", str(rc.root)], capture_output=True)


def test_a_state_root_inside_proc_is_refused_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "richcompose", "--root", "/proc/", "-p", "x",
                           "ps"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "kernel filesystem" in proc.stderr and len(proc.stderr.splitlines()) <= 2
