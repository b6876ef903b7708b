"""The host never follows a link or opens a special file in the container-writable run dir
(#10 item 3). A container process running as uid 65534 points /.richcompose/run/hooks.log at
a host file, then at /dev/zero: the next start's hook output relay neither prints the host
file in `logs` nor hangs reading /dev/zero. The run dir is no longer world-writable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import Richcompose, wait_log

pytestmark = pytest.mark.runc


def test_hooks_log_linked_to_a_host_file_or_dev_zero_is_not_read(rc: Richcompose,
                                                                  tmp_path: Path) -> None:
    secret = tmp_path / "host-secret"
    secret.write_text("TOPSECRET-ON-THE-HOST\n")
    link = rc.project_dir / "link-to"
    # The container makes the same path inside itself, so its own hook's `>>` succeeds there.
    rc.write(f"""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            user: "65534"
            initcmd: echo hook-ran
            command: ["sh", "-c", "mkdir -p {secret.parent} && : >>{secret} &&
                      ln -sfn \\"$$(cat /link-to)\\" /.richcompose/run/hooks.log &&
                      echo linked && sleep 600"]
            volumes: ["./link-to:/link-to:ro"]
        """)
    link.write_text(str(secret))
    rc("up", "-d")
    try:
        run_dir = next(rc.root.glob("projects/*/containers/*/bundle/rich-run"))
        st = run_dir.stat()
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 65534
        wait_log(rc, "app", "linked")
        rc("restart", "-t", "0", "app", timeout=60)
        logs = wait_log(rc, "app", "linked")
        assert "TOPSECRET" not in logs
        link.write_text("/dev/zero")
        rc("restart", "-t", "0", "app", timeout=60)  # reading /dev/zero would never end
        wait_log(rc, "app", "linked")
    finally:
        rc("down", "-t", "0")
