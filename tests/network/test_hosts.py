"""/etc/hosts and /etc/resolv.conf rendering (pure) and in-place rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.errors import NetworkError
from richcompose.network.hosts import (
    extra_host_entries,
    render_hosts,
    render_resolv_conf,
    write_in_place,
)
from richcompose.network.types import HostEntry

ME = HostEntry("10.89.0.3", ("app", "shop-app-1"))
DB = HostEntry("10.89.0.2", ("db", "database", "shop-db-1"))


def test_hosts_starts_with_localhost() -> None:
    lines = render_hosts(ME, []).splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert lines[1].startswith("::1\tlocalhost")


def test_hosts_names_the_container_itself() -> None:
    assert "10.89.0.3\tapp shop-app-1" in render_hosts(ME, []).splitlines()


def test_hosts_lists_neighbours_by_service_alias_and_container_name() -> None:
    assert "10.89.0.2\tdb database shop-db-1" in render_hosts(ME, [DB]).splitlines()


def test_extra_hosts_come_before_service_names() -> None:
    lines = render_hosts(ME, [DB], [HostEntry("192.0.2.9", ("db",))]).splitlines()
    assert "192.0.2.9\tdb" in lines
    assert "10.89.0.2\tdatabase shop-db-1" in lines


def test_the_containers_own_names_are_not_given_to_a_peer() -> None:
    text = render_hosts(ME, [HostEntry("10.89.0.4", ("app", "worker"))])
    assert "10.89.0.4\tworker" in text.splitlines()


def test_container_without_address_still_gets_localhost() -> None:
    assert render_hosts(None, []).startswith("127.0.0.1\tlocalhost\n")


def test_extra_hosts_host_with_two_addresses_gets_two_lines() -> None:
    entries = extra_host_entries({"zulu": ["127.0.0.2", "ff02::1"]})
    lines = render_hosts(ME, [], entries).splitlines()
    assert "127.0.0.2\tzulu" in lines and "ff02::1\tzulu" in lines


def test_peers_sharing_a_service_name_all_keep_it() -> None:
    replicas = [HostEntry("10.89.0.5", ("web", "shop-web-1")),
                HostEntry("10.89.0.6", ("web", "shop-web-2"))]
    lines = render_hosts(ME, replicas).splitlines()
    assert "10.89.0.5\tweb shop-web-1" in lines and "10.89.0.6\tweb shop-web-2" in lines


def test_resolv_conf_drops_loopback_nameservers() -> None:
    host = "nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.org\n"
    rendered = render_resolv_conf(host)
    assert "nameserver 192.0.2.53" in rendered.splitlines()
    assert "search example.org" in rendered.splitlines()
    assert not any(line.startswith("nameserver 127.") for line in rendered.splitlines())


def test_resolv_conf_drops_ipv6_loopback_nameserver() -> None:
    assert "\nnameserver ::1" not in "\n" + render_resolv_conf("nameserver ::1\n")


def test_rewrite_keeps_the_inode_so_bind_mounts_see_it(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    write_in_place(path, "one\n")
    inode = path.stat().st_ino
    write_in_place(path, "two, longer\n")
    assert path.read_text() == "two, longer\n"
    assert path.stat().st_ino == inode


def test_rewrite_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    write_in_place(path, "a long first version\n")
    write_in_place(path, "short\n")
    assert path.read_text() == "short\n"


HOST_RESOLV = "nameserver 192.0.2.53\nsearch example.org\noptions edns0\n"


def test_service_dns_replaces_the_hosts_nameservers() -> None:
    lines = render_resolv_conf(HOST_RESOLV, nameservers=["192.0.2.1"]).splitlines()
    assert "nameserver 192.0.2.1" in lines
    assert "nameserver 192.0.2.53" not in lines
    assert "search example.org" in lines


def test_service_dns_search_and_options_replace_the_hosts() -> None:
    lines = render_resolv_conf(HOST_RESOLV, search=["corp.example"], options=["ndots:2"])
    assert "search corp.example" in lines.splitlines()
    assert "options ndots:2" in lines.splitlines()
    assert "example.org" not in lines and "edns0" not in lines


def test_host_gateway_is_the_containers_gateway() -> None:
    assert extra_host_entries({"host.docker.internal": ["host-gateway"]}, "10.89.0.1") == [
        HostEntry("10.89.0.1", ("host.docker.internal",))]


def test_host_gateway_without_a_network_is_an_error() -> None:
    with pytest.raises(NetworkError, match="no network gateway"):
        extra_host_entries({"h": ["host-gateway"]})
