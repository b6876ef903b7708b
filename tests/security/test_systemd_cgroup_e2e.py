"""systemd mode gets a cgroup tree it may manage below its limits, never at them (#10 item 5):
inside the container, writing its own memory.limit_in_bytes or pids.max fails and the
host-side limits stay; systemd still boots and makes its own cgroups beneath them."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.state import StatePaths
from tests.conftest import Richcompose
from tests.rich.conftest import wait_exec

pytestmark = [pytest.mark.runc, pytest.mark.systemd]

RAISE = {"memory/memory.limit_in_bytes": "9223372036854771712", "pids/pids.max": "max"}


def test_systemd_container_cannot_raise_its_own_limits(rc: Richcompose,
                                                       systemd_rootfs: Path) -> None:
    rc.write(f"""
        services:
          app:
            rootfs: {systemd_rootfs}
            rich: true
            rich_mode: systemd
            mem_limit: 256m
            pids_limit: 300
            command: sleep 300
        """)
    rc("up", "-d")
    try:
        wait_exec(rc, "app", ["systemctl", "is-system-running"], "running")
        host = Path("/sys/fs/cgroup")
        own = f"{StatePaths(rc.root).cgroup_parent}/project-app-1".lstrip("/")
        for relative, value in RAISE.items():
            write = rc("exec", "-T", "app", "sh", "-c",
                       f"echo {value} > /sys/fs/cgroup/{relative}", check=False)
            assert write.returncode != 0, relative
        assert (host / "memory" / own / "memory.limit_in_bytes").read_text().strip() \
            == str(256 << 20)
        assert (host / "pids" / own / "pids.max").read_text().strip() == "300"
        # Below the limits the tree is systemd's: it made init.scope there.
        assert rc("exec", "-T", "app", "sh", "-c",
                  "test -d /sys/fs/cgroup/systemd/init.scope && mkdir /sys/fs/cgroup/pids/t && "
                  "echo 10 > /sys/fs/cgroup/pids/t/pids.max && rmdir /sys/fs/cgroup/pids/t",
                  check=False).returncode == 0
    finally:
        rc("down", "-t", "0")
