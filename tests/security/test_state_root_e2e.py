"""The state root is closed to other local users (#10 item 1). An image whose snapshot holds a
setuid-root shell and 0666 device nodes runs a container that plants a setuid shell in its
own writable layer; then `nobody` (setpriv --reuid=65534) can neither list, stat, read nor run
anything under the state root: not the snapshot's setuid shell, not the upper dir's, not the
device nodes, not bundle/config.json with its secrets."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import Richcompose, force_cleanup, leftovers
from tests.image.layouts import OciImage, entry, make_tar, tar_of_dir, write_oci_layout

pytestmark = pytest.mark.runc

AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# Run as nobody: every path it can lstat, open or execute is printed.
PROBE = r"""
import json, os, subprocess, sys
paths = json.load(sys.stdin)
for path in paths["all"]:
    try:
        os.lstat(path)
        print("lstat", path)
    except OSError:
        pass
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW))
        print("open", path)
    except OSError:
        pass
for path in paths["setuid"]:
    try:
        out = subprocess.run([path, "sh", "-c", "id -u"], capture_output=True, text=True)
        print("ran", path, out.stdout.strip())
    except OSError:
        pass
"""


@pytest.fixture
def open_rc(rc: Richcompose) -> Iterator[Richcompose]:
    """`rc` with its state root in a directory every user may enter, as /var/lib is: only the
    root's own mode then stands between other users and what is inside."""
    parent = Path(tempfile.mkdtemp(prefix="rc-open-", dir="/tmp"))
    parent.chmod(0o755)
    opened = replace(rc, root=parent / "state")
    opened.root.mkdir(mode=0o755)  # pre-existing and too open: richcompose must close it
    opened.root.chmod(0o755)
    try:
        yield opened
        left = leftovers(opened.root)
        assert not left, f"left behind: {left}"
    finally:
        force_cleanup(opened.root)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def evil_image(busybox_rootfs: Path, tmp_path: Path) -> str:
    busybox = (busybox_rootfs / "bin" / "busybox").read_bytes()
    extra = make_tar(entry("bin/suid-sh", data=busybox, mode=0o4755),
                     entry("dev-zero", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=5),
                     entry("dev-disk", tarfile.BLKTYPE, mode=0o666, devmajor=7, devminor=0))
    write_oci_layout(tmp_path / "layout", {"1": OciImage([tar_of_dir(busybox_rootfs), extra])})
    return f"oci:{tmp_path / 'layout'}:1"


def test_other_users_reach_nothing_under_the_state_root(open_rc: Richcompose,
                                                       evil_image: str) -> None:
    rc = open_rc
    rc.write(f"""
        services:
          app:
            image: {evil_image}
            environment: {{DB_PASSWORD: hunter2}}
            command: ["sh", "-c", "cp /bin/busybox /upper-suid && chmod 4755 /upper-suid &&
                      touch /planted && sleep 600"]
        """)
    up = rc("up", "-d")
    try:
        assert "closed it to 0700" in up.stderr
        assert stat.S_IMODE(rc.root.stat().st_mode) == 0o700
        upper = next(rc.root.glob("projects/*/containers/*/upper"))
        deadline = time.monotonic() + 15
        while not (upper / "planted").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        config = next(rc.root.glob("projects/*/containers/*/bundle/config.json"))
        assert "hunter2" in config.read_text()
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        setuid = [*rc.root.glob("images/snapshots/*/bin/suid-sh"), upper / "upper-suid"]
        assert len(setuid) == 2 and all(p.stat().st_mode & stat.S_ISUID for p in setuid)
        everything = [str(p) for p in rc.root.rglob("*")
                      if "bundle/rootfs/" not in str(p)]  # the overlay repeats the layers
        assert any(p.endswith("dev-disk") for p in everything)
        probe = subprocess.run([*AS_NOBODY, "python3", "-c", PROBE], capture_output=True,
                               text=True, timeout=120,
                               input=json.dumps({"all": everything,
                                                 "setuid": [str(p) for p in setuid]}))
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout == ""
    finally:
        rc("down", "-t", "0")
    assert os.path.isdir(rc.root)
