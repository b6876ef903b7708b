"""Real busybox containers under runc on CNI networks, inside a private network namespace."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from richcompose.network import Attachment, Endpoint, NetworkManager
from richcompose.network.ports import PortSpec
from tests.network.containers import Runc, ports
from tests.network.sandbox import Sandbox

pytestmark = [pytest.mark.network, pytest.mark.runc]

HTTPD = "echo {body} > /tmp/index.html && exec httpd -f -p 80 -h /tmp"


def serve(manager: NetworkManager, runc: Runc, project: str, service: str, cid: str,
          body: str, published: list[PortSpec] | None = None) -> Attachment:
    """A container whose httpd answers `body` on port 80."""
    att = manager.attach(project, cid, service, manager.create_netns(project, cid),
                         {"default": Endpoint(aliases=(f"{service}-alias",))}, published or [],
                         container_name=f"{project}-{service}-1")
    runc.start(cid, ["sh", "-c", HTTPD.format(body=body)], att, hostname=service)
    return att


def fetch(manager: NetworkManager, runc: Runc, project: str, cid: str, url: str) -> str:
    """Run a one-shot client container that prints what `url` answers."""
    att = manager.attach(project, cid, "client", manager.create_netns(project, cid),
                         {"default": Endpoint()})
    # Retry briefly: the server container may still be starting httpd.
    script = f"for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - {url} && exit 0; sleep 0.2; done"
    output = runc.run(cid, ["sh", "-c", script], att, hostname="client")
    runc.remove(cid)
    manager.detach(project, cid)
    return output


def curl(url: str) -> str:
    for _ in range(25):
        proc = subprocess.run(["curl", "-s", "--max-time", "2", url], capture_output=True,
                              text=True, check=False)
        if proc.returncode == 0:
            return proc.stdout
        time.sleep(0.2)
    return proc.stdout + proc.stderr


def test_container_reaches_another_by_service_name(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "db", "db" * 8, "hello-from-db")
    assert fetch(manager, runc, "shop", "cl" * 8, "http://db/").strip() == "hello-from-db"


def test_container_reaches_another_by_alias_and_container_name(manager: NetworkManager,
                                                               runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "db", "db" * 8, "db-here")
    assert fetch(manager, runc, "shop", "c1" * 8, "http://db-alias/").strip() == "db-here"
    assert fetch(manager, runc, "shop", "c2" * 8, "http://shop-db-1/").strip() == "db-here"


def test_raw_tcp_with_nc_reaches_a_service_by_name(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    att = manager.attach("shop", "db" * 8, "db", manager.create_netns("shop", "db" * 8),
                         {"default": Endpoint()})
    runc.start("db" * 8, ["sh", "-c", "echo pong | nc -l -p 7000"], att, hostname="db")
    client = manager.attach("shop", "cl" * 8, "app", manager.create_netns("shop", "cl" * 8),
                            {"default": Endpoint()})
    script = "for i in 1 2 3 4 5 6 7 8 9 10; do nc db 7000 </dev/null && exit 0; sleep 0.2; done"
    assert runc.run("cl" * 8, ["sh", "-c", script], client, hostname="app").strip() == "pong"


def test_published_port_answers_on_host_loopback(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "web", "we" * 8, "published", published=ports("18080:80"))
    assert curl("http://127.0.0.1:18080/").strip() == "published"


def test_hostname_inside_is_the_service_name(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "web", "we" * 8, "x")
    assert runc.exec("we" * 8, ["hostname"]).strip() == "web"
    assert runc.exec("we" * 8, ["cat", "/etc/hostname"]).strip() == "web"


def test_running_container_sees_a_new_neighbour(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "web", "we" * 8, "x")
    assert "cache" not in runc.exec("we" * 8, ["cat", "/etc/hosts"])
    serve(manager, runc, "shop", "cache", "ca" * 8, "cached")
    assert "cache" in runc.exec("we" * 8, ["cat", "/etc/hosts"])
    assert runc.exec("we" * 8, ["wget", "-q", "-O", "-", "http://cache/"]).strip() == "cached"


def test_two_projects_side_by_side_do_not_collide(manager: NetworkManager, runc: Runc) -> None:
    for project in ("shop", "blog"):
        manager.ensure_network(project, "default")
    serve(manager, runc, "shop", "db", "sd" * 8, "shop-db", published=ports("18081:80"))
    serve(manager, runc, "blog", "db", "bd" * 8, "blog-db", published=ports("18082:80"))
    assert fetch(manager, runc, "shop", "sc" * 8, "http://db/").strip() == "shop-db"
    assert fetch(manager, runc, "blog", "bc" * 8, "http://db/").strip() == "blog-db"
    assert curl("http://127.0.0.1:18081/").strip() == "shop-db"
    assert curl("http://127.0.0.1:18082/").strip() == "blog-db"


def test_after_down_nothing_network_related_is_left(manager: NetworkManager, runc: Runc,
                                                    sandbox: Sandbox) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "web", "we" * 8, "x", published=ports("18080:80"))
    runc.remove("we" * 8)
    manager.cleanup_project("shop")
    assert [link for link in sandbox.links() if link != "lo"] == []
    assert sandbox.iptables_rules() == []
    assert not list((manager.store.ipam_dir).rglob("*"))


def test_published_port_answers_other_containers_via_the_gateway(manager: NetworkManager,
                                                                 runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    serve(manager, runc, "shop", "web", "we" * 8, "via-gateway", published=ports("18080:80"))
    gateway = manager.subnet("shop", "default").rsplit(".", 1)[0] + ".1"
    assert fetch(manager, runc, "shop", "cl" * 8, f"http://{gateway}:18080/").strip() \
        == "via-gateway"


def test_none_mode_container_has_loopback_only(manager: NetworkManager, runc: Runc) -> None:
    att = manager.attach("shop", "no" * 8, "solo", manager.create_netns("shop", "no" * 8), {})
    output = runc.run("no" * 8, ["ip", "-o", "link"], att, hostname="solo")
    assert [line.split(":")[1].strip() for line in output.splitlines()] == ["lo"]
    assert att.addresses == {}


def test_service_mode_shares_the_targets_namespace(manager: NetworkManager, runc: Runc) -> None:
    manager.ensure_network("shop", "default")
    db = serve(manager, runc, "shop", "db", "db" * 8, "shared-netns")
    # network_mode: service:db — no netns or attachment of its own, the target's files.
    joined = manager.attachment("db" * 8)
    assert joined is not None
    output = runc.run("si" * 8, ["wget", "-q", "-O", "-", "http://127.0.0.1/"], joined,
                      hostname="sidecar")
    assert output.strip() == "shared-netns"
    assert joined.netns_path == db.netns_path



def test_outbound_traffic_is_masqueraded_by_the_networks_rule(
        manager: NetworkManager, runc: Runc, sandbox: Sandbox, busybox_rootfs: Path,
        tmp_path: Path) -> None:
    # "Outside": a namespace behind a veth, with no route back to the container subnet; it
    # answers only if the container's address was rewritten to the sandbox's (masquerading).
    outside = f"{sandbox.name}-out"
    subprocess.run(["ip", "netns", "add", outside], check=True)
    try:
        subprocess.run(["ip", "link", "add", "rcout0", "type", "veth", "peer", "name", "rcout1",
                        "netns", outside], check=True)
        subprocess.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "rcout0"], check=True)
        subprocess.run(["ip", "link", "set", "rcout0", "up"], check=True)
        for args in (["addr", "add", "198.51.100.2/24", "dev", "rcout1"],
                     ["link", "set", "rcout1", "up"], ["link", "set", "lo", "up"]):
            subprocess.run(["ip", "-n", outside, *args], check=True)
        cgi = tmp_path / "www" / "cgi-bin"
        cgi.mkdir(parents=True)
        (cgi / "ip").write_text("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                                "echo \"$REMOTE_ADDR\"\n")
        (cgi / "ip").chmod(0o755)
        server = subprocess.Popen(["nsenter", f"--net=/run/netns/{outside}",
                                   str(busybox_rootfs / "bin/busybox"), "httpd", "-f", "-p",
                                   "8080", "-h", str(tmp_path / "www")])
        try:
            manager.ensure_network("shop", "default")
            seen = fetch(manager, runc, "shop", "cl" * 8, "http://198.51.100.2:8080/cgi-bin/ip")
        finally:
            server.kill()
            server.wait()
    finally:
        subprocess.run(["ip", "netns", "delete", outside], check=True)
    assert seen.strip().removeprefix("[::ffff:").removesuffix("]") == "198.51.100.1"
