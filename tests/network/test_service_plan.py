"""What the bundle is told about a service's network, without side effects (`render`)."""

from __future__ import annotations

from pathlib import Path

from richcompose.config.models import Project, Service
from richcompose.network.service import planned

FILES = Path("/state/projects/shop/containers/shop-web-1/network")


def plan(network_mode: str | None = None,  # type: ignore[no-untyped-def]
         **others: Service):
    project = Project(name="shop", services={
        "web": Service(rootfs="./r", network_mode=network_mode), **others})
    return planned(project, "web", "shop-web-1", FILES, Path("/run/netns/rc-abc123-shop-web-1"))


def test_default_mode_joins_the_containers_own_named_netns() -> None:
    assert plan().netns_path == "/run/netns/rc-abc123-shop-web-1"
    assert not plan().host


def test_default_mode_mounts_its_own_hosts_resolv_and_hostname() -> None:
    assert {m["destination"]: m["source"] for m in plan().mounts} == {
        "/etc/hosts": str(FILES / "hosts"), "/etc/resolv.conf": str(FILES / "resolv.conf"),
        "/etc/hostname": str(FILES / "hostname")}


def test_host_mode_uses_the_host_network_and_its_files() -> None:
    host = plan("host")
    assert host.host and host.netns_path is None
    assert {m["source"] for m in host.mounts} == {"/etc/hosts", "/etc/resolv.conf"}


def test_none_mode_leaves_its_namespace_to_runc() -> None:
    # a fresh netns in the spec: runc makes it and brings its loopback up
    assert plan("none").netns_path is None and not plan("none").host


def test_none_mode_joined_by_another_service_gets_a_named_namespace() -> None:
    joined = plan("none", side=Service(rootfs="./r", network_mode="service:web"))
    assert joined.netns_path == "/run/netns/rc-abc123-shop-web-1"
