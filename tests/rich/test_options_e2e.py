"""The security and resource options together, accepted by real runc and visible inside."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose

pytestmark = pytest.mark.runc


def test_options_take_effect_inside_the_container(rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: sleep 300
            stop_grace_period: 1s
            read_only: true
            tmpfs: [/scratch]
            shm_size: 8m
            ulimits: {nofile: {soft: 1000, hard: 2000}}
            sysctls: {net.ipv4.ip_local_port_range: "20000 30000"}
            mem_limit: 64m
            cpus: 0.5
            cap_drop: [NET_RAW]
            user: nobody
            working_dir: /scratch
            hostname: box
    """)
    rc("up", "-d")

    def sh(script: str) -> str:
        return rc("exec", "-T", "app", "sh", "-c", script).stdout.strip()

    assert sh("touch /x 2>&1 || echo ro").endswith("ro")
    assert sh("touch /scratch/ok && pwd") == "/scratch"
    assert sh("df -k /dev/shm | tail -1 | awk '{print $2}'") == "8192"
    assert sh("ulimit -n") == "1000"
    assert sh("cat /proc/sys/net/ipv4/ip_local_port_range").split() == ["20000", "30000"]
    assert sh("id -u") == "65534" and sh("hostname") == "box"
    assert sh("grep CapBnd /proc/1/status | awk '{print $2}'") != ""
    assert sh("grep Seccomp: /proc/self/status | awk '{print $2}'") == "2"
    rc("down", "-t", "1")
