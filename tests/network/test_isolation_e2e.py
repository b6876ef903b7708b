"""Networks are isolated from each other as docker isolates them: containers of one project
cannot reach another project's containers (ping, TCP), neighbours on one network can, and
`down` removes the isolation chains (#10 item 6)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.conftest import Richcompose

pytestmark = [pytest.mark.network, pytest.mark.runc]

PROJECT = """
    name: {name}
    services:
      web:
        rootfs: ./rootfs
        command: ["sh", "-c", "echo {name} > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
        ports: ["{port}:80"]
      client:
        rootfs: ./rootfs
        command: ["sleep", "300"]
"""


def address(rc: Richcompose, project: str, service: str) -> str:
    out = rc("-f", f"{project}.yaml", "exec", "-T", service, "ip", "-4", "-o", "addr", "show",
             "eth0").stdout
    return out.split()[3].split("/")[0]


def reaches(rc: Richcompose, project: str, *argv: str) -> bool:
    return rc("-f", f"{project}.yaml", "exec", "-T", "client", "timeout", "2", *argv,
              check=False).returncode == 0


def chains() -> list[str]:
    out = subprocess.run(["iptables", "-S"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "RC-ISOLATION" in line]


def test_projects_cannot_reach_each_other_but_neighbours_and_published_ports_can(rc: Richcompose) -> None:
    for name, port in (("one", 18181), ("two", 18182)):
        rc.write(PROJECT.format(name=name, port=port), name=f"{name}.yaml")
        rc("-f", f"{name}.yaml", "up", "-d")
    try:
        neighbour, other = address(rc, "one", "web"), address(rc, "two", "web")
        for _ in range(30):  # httpd starting
            if reaches(rc, "one", "wget", "-q", "-O", "-", f"http://{neighbour}/"):
                break
            time.sleep(0.2)
        assert reaches(rc, "one", "ping", "-c", "1", "-W", "1", neighbour)
        assert reaches(rc, "one", "wget", "-q", "-O", "-", f"http://{neighbour}/")
        assert reaches(rc, "two", "wget", "-q", "-O", "-", f"http://{other}/")
        assert not reaches(rc, "one", "ping", "-c", "1", "-W", "1", other)
        assert not reaches(rc, "one", "wget", "-q", "-O", "-", f"http://{other}/")
        # A port the other project published is meant to be reached, as with docker's proxy.
        gateway = rc("-f", "one.yaml", "exec", "-T", "client", "sh", "-c",
                     "ip route | awk '/default/ {print $3}'").stdout.strip()
        assert reaches(rc, "one", "wget", "-q", "-O", "-", f"http://{gateway}:18182/")
        assert chains()
    finally:
        for name in ("one", "two"):
            rc("-f", f"{name}.yaml", "down", "-t", "0")
    assert chains() == []
