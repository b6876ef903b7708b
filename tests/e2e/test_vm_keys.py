"""Issue #12's other e2e: `domainname` reaches the container, `privileged` starts on this host
(its capability bounding set, not a fixed list) with cap_drop on top, a cap_add the host
lacks is a located error before start, and a bind on /tmp in systemd mode is warned about
with its line. (The walk over every Service field is tests/bundle/test_model_walk.py.)"""

from __future__ import annotations

import pytest

from richcompose.bundle.security import ALL_CAPABILITIES, bounding_set
from tests.conftest import Richcompose

pytestmark = pytest.mark.runc


def _capbnd(rc: Richcompose) -> int:
    status = rc("exec", "-T", "app", "cat", "/proc/self/status").stdout
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("CapBnd:")), 16)


def test_domainname_and_privileged_with_cap_drop_on_this_host(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            command: sleep 300
            hostname: vm01
            domainname: corp.example
            privileged: true
            cap_drop: [NET_RAW]
    """)
    rc("up", "-d")
    assert rc("exec", "-T", "app", "cat", "/proc/sys/kernel/domainname").stdout.strip() \
        == "corp.example"
    with open("/proc/self/status") as handle:
        host = bounding_set(handle.read())
    inside = _capbnd(rc)
    granted = {name for bit, name in enumerate(ALL_CAPABILITIES) if inside >> bit & 1}
    assert granted == set(host) - {"CAP_NET_RAW"}
    rc("down", "-t", "1")


def test_cap_add_of_a_capability_this_host_lacks_is_a_located_error(rc: Richcompose) -> None:
    with open("/proc/self/status") as handle:
        host = bounding_set(handle.read())
    lacking = [c for c in ALL_CAPABILITIES if c not in host]
    if not lacking:
        pytest.skip("this host's bounding set has every capability")
    rc.write(f"""
        services:
          app:
            rootfs: ./rootfs
            command: sleep 300
            cap_add: [{lacking[0].removeprefix("CAP_")}]
    """)
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "compose.yaml:6:" in up.stderr and lacking[0] in up.stderr
    assert "started" not in up.stderr
    rc("down")


def test_a_bind_on_tmp_in_systemd_mode_is_warned_about_with_its_line(rc: Richcompose) -> None:
    rc.write("""
        services:
          vm:
            rootfs: ./rootfs
            rich: true
            rich_mode: systemd
            volumes:
              - ./shared:/tmp
              - ./data:/srv/data
    """)
    out = rc("config", "-q")
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "compose.yaml:8:" in warnings[0] and "/tmp" in warnings[0]
    assert "empties /tmp at every boot" in warnings[0] and "/srv/tmp" in warnings[0]
