"""Networking through the CLI under real runc; each test runs in its own network namespace
(the shared `rc` fixture enters one), so `up` makes bridges and rules only there."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Richcompose
from tests.network.sandbox import named_netns, own_netns

pytestmark = [pytest.mark.network, pytest.mark.runc]

SERVE = 'echo {body} > /tmp/index.html; exec httpd -f -p 80 -h /tmp'

APP_AND_DB = f"""
    name: shop
    services:
      db:
        rootfs: ./rootfs
        command: ["sh", "-c", "{SERVE.format(body='db-says-hi')}"]
        networks:
          default:
            aliases: [database]
      app:
        rootfs: ./rootfs
        command: ["sh", "-c", "{SERVE.format(body='app-says-hi')}"]
        ports: ["18080:80"]
        depends_on: [db]
"""


def fetch_inside(rc: Richcompose, service: str, url: str, *args: str) -> str:
    """wget from inside a service container, retried while the server starts."""
    for _ in range(30):
        proc = rc(*args, "exec", "-T", service, "wget", "-q", "-O", "-", url, check=False)
        if proc.returncode == 0:
            return proc.stdout
        time.sleep(0.2)
    return proc.stdout + proc.stderr


def curl(url: str) -> str:
    for _ in range(30):
        proc = subprocess.run(["curl", "-s", "--max-time", "2", url], capture_output=True,
                              text=True, check=False)
        if proc.returncode == 0:
            return proc.stdout
        time.sleep(0.2)
    return proc.stdout + proc.stderr


def links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def test_app_reaches_db_by_service_name_and_alias(rc: Richcompose) -> None:
    rc.write(APP_AND_DB)
    rc("up", "-d")
    assert fetch_inside(rc, "app", "http://db/").strip() == "db-says-hi"
    assert fetch_inside(rc, "app", "http://database/").strip() == "db-says-hi"
    assert fetch_inside(rc, "db", "http://app/").strip() == "app-says-hi"
    rc("down", "-t", "0")


def test_published_port_answers_on_host_loopback(rc: Richcompose) -> None:
    rc.write(APP_AND_DB)
    rc("up", "-d")
    assert curl("http://127.0.0.1:18080/").strip() == "app-says-hi"
    assert rc("port", "app", "80").stdout.strip() == "0.0.0.0:18080"
    rc("down", "-t", "0")


def test_port_of_an_unpublished_port_is_an_error(rc: Richcompose) -> None:
    rc.write(APP_AND_DB)
    rc("up", "-d")
    proc = rc("port", "db", "80", check=False)
    assert proc.returncode == 1
    assert "does not publish port 80/tcp" in proc.stderr
    rc("down", "-t", "0")


def test_hostname_is_the_service_name_unless_set(rc: Richcompose) -> None:
    rc.write(APP_AND_DB.replace("      app:\n", "      app:\n        hostname: shopfront\n"))
    rc("up", "-d")
    assert rc("exec", "-T", "db", "hostname").stdout.strip() == "db"
    assert rc("exec", "-T", "app", "hostname").stdout.strip() == "shopfront"
    rc("down", "-t", "0")


def test_port_already_in_use_fails_before_the_container_starts(rc: Richcompose) -> None:
    import socket

    rc.write(APP_AND_DB)
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("0.0.0.0", 18080))
        busy.listen()
        proc = rc("up", "-d", check=False)
    assert proc.returncode == 1
    assert "service 'app': host port 18080/tcp is already in use" in proc.stderr
    states = {row["service"]: row["state"] for row in json.loads(rc("ps", "--format",
                                                                    "json").stdout)}
    assert "app" not in states or states["app"] != "running"
    rc("down", "-t", "0")


def test_two_projects_side_by_side_do_not_collide(rc: Richcompose) -> None:
    for project in ("one", "two"):
        rc.write(APP_AND_DB.replace("name: shop", f"name: {project}")
                 .replace("db-says-hi", f"db-of-{project}")
                 .replace('ports: ["18080:80"]', "ports: []"), name=f"{project}.yaml")
        rc("-f", f"{project}.yaml", "up", "-d")
    assert fetch_inside(rc, "app", "http://db/", "-f", "one.yaml").strip() == "db-of-one"
    assert fetch_inside(rc, "app", "http://db/", "-f", "two.yaml").strip() == "db-of-two"
    for project in ("one", "two"):
        rc("-f", f"{project}.yaml", "down", "-t", "0")


def test_down_leaves_no_veth_netns_rule_or_lease(rc: Richcompose) -> None:
    rc.write(APP_AND_DB)
    rc("up", "-d")
    assert any(link.startswith("veth") for link in links())
    rc("down", "-t", "0")
    assert links() == {"lo"}
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout
    assert not [line for line in rules.splitlines() if line.startswith("-A")]
    assert own_netns(rc.root) == set()
    leases = rc.root / "network" / "ipam"
    assert not leases.exists() or not list(leases.rglob("*"))


NETWORK_MODES = """
    name: modes
    services:
      db:
        rootfs: ./rootfs
        command: ["sh", "-c", "echo shared > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
      sidecar:
        rootfs: ./rootfs
        network_mode: service:db
        command: ["sleep", "300"]
      hermit:
        rootfs: ./rootfs
        network_mode: none
        command: ["sleep", "300"]
      hosted:
        rootfs: ./rootfs
        network_mode: host
        command: ["sleep", "300"]
"""


def interfaces(rc: Richcompose, service: str) -> set[str]:
    out = rc("exec", "-T", service, "ip", "-o", "link").stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def test_network_mode_service_shares_the_targets_namespace(rc: Richcompose) -> None:
    rc.write(NETWORK_MODES)
    rc("up", "-d")
    assert fetch_inside(rc, "sidecar", "http://127.0.0.1/").strip() == "shared"
    assert interfaces(rc, "sidecar") == interfaces(rc, "db") == {"lo", "eth0"}
    rc("down", "-t", "0")


def test_network_mode_none_has_loopback_only(rc: Richcompose) -> None:
    rc.write(NETWORK_MODES)
    rc("up", "-d")
    assert interfaces(rc, "hermit") == {"lo"}
    assert "127.0.0.1" in rc("exec", "-T", "hermit", "ping", "-c1", "-W1", "127.0.0.1").stdout
    assert rc("exec", "-T", "hermit", "cat", "/etc/hostname").stdout == "hermit\n"
    # runc made its namespace: no named netns, nothing in the network store
    assert not any(name.endswith("-modes-hermit-1") for name in named_netns())
    state = json.loads((rc.root / "network" / "state.json").read_text())
    assert "modes-hermit-1" not in state["containers"]
    rc("down", "-t", "0")


def test_network_mode_none_joined_by_another_service_is_shared(rc: Richcompose) -> None:
    rc.write(NETWORK_MODES.replace("network_mode: service:db", "network_mode: service:hermit")
             .replace("sidecar:\n        rootfs: ./rootfs\n", "sidecar:\n        rootfs: ./rootfs\n"
                      "        depends_on: [hermit]\n"))
    rc("up", "-d")
    assert interfaces(rc, "sidecar") == interfaces(rc, "hermit") == {"lo"}
    assert any(name.endswith("-modes-hermit-1") for name in named_netns())
    rc("down", "-t", "0")


def test_network_mode_host_sees_the_hosts_interfaces(rc: Richcompose) -> None:
    rc.write(NETWORK_MODES)
    rc("up", "-d")
    # "The host" is the test's own namespace: its lo, the project bridge and veths.
    assert interfaces(rc, "hosted") == links()
    assert rc("exec", "-T", "hosted", "cat", "/etc/hosts").stdout == Path("/etc/hosts").read_text()
    rc("down", "-t", "0")


def test_down_after_a_failed_up_removes_the_attached_network(rc: Richcompose) -> None:
    # app's initscript is missing: app fails before anything of its own is made, after db's
    # netns and the project network were made and attached.
    rc.write(APP_AND_DB.replace("        depends_on: [db]\n",
                                "        depends_on: [db]\n        rich: true\n"
                                "        initscript: /missing.sh\n"))
    proc = rc("up", "-d", check=False)
    assert proc.returncode == 1
    assert "initscript /missing.sh" in proc.stderr and "not found" in proc.stderr
    assert any(name.endswith("-shop-db-1") for name in named_netns())
    assert not any(name.endswith("-shop-app-1") for name in named_netns())
    rc("down", "-t", "0")
    assert links() == {"lo"}
    assert own_netns(rc.root) == set()


def test_network_mode_container_joins_that_containers_namespace(rc: Richcompose) -> None:
    rc.write(NETWORK_MODES + """
      peer:
        rootfs: ./rootfs
        network_mode: container:modes-db-1
        depends_on: [db]
        command: ["sleep", "300"]
""")
    rc("up", "-d")
    assert fetch_inside(rc, "peer", "http://127.0.0.1/").strip() == "shared"
    rc("down", "-t", "0")


def test_networking_example_runs(rc: Richcompose) -> None:
    example = Path(__file__).parents[2] / "examples" / "networking" / "compose.yaml"
    rc.write(example.read_text())
    rc("up", "-d")
    assert curl("http://127.0.0.1:18080/").strip() == "rows: 42"
    assert rc("exec", "-T", "app", "hostname").stdout.strip() == "shopfront"
    hosts = rc("exec", "-T", "app", "cat", "/etc/hosts").stdout
    assert "host.docker.internal" in hosts and "database" in hosts
    # db is only on the internal network: no default route out of it.
    assert "default" not in rc("exec", "-T", "db", "ip", "route").stdout
    assert rc("exec", "-T", "db", "ip", "route").stdout.startswith("172.30.7.0/24")
    rc("down", "-t", "0")
