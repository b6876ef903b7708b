"""Shared hosts files (pure record handling, no CNI): containers that see the same names share
one file, so a change rewrites one file per group instead of one per container."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from richcompose.network.discovery import link_hosts, refresh_hosts


def record(tmp_path: Path, service: str, ip: str, extra: list[str] | None = None) -> dict[str, Any]:
    return {"project": "shop", "service": service, "container_name": f"shop-{service}-1",
            "hostname": service, "extra_hosts": extra or [], "host_gateway": "10.89.0.1",
            "files": str(tmp_path / service), "ports": [],
            "networks": {"default": {"cni": "rc-shop-default", "ifname": "eth0", "ip": ip,
                                     "aliases": []}}}


def attach_all(tmp_path: Path, records: dict[str, Any]) -> Path:
    hosts_dir = tmp_path / "hosts"
    for rec in records["containers"].values():
        link_hosts(rec, hosts_dir)
    refresh_hosts(records, hosts_dir, ["rc-shop-default"])
    return hosts_dir


def test_containers_on_one_network_share_one_hosts_file(tmp_path: Path) -> None:
    records = {"containers": {f"c{i}": record(tmp_path, f"s{i}", f"10.89.0.{i + 2}")
                              for i in range(30)}}
    hosts_dir = attach_all(tmp_path, records)
    assert len(list(hosts_dir.iterdir())) == 1
    inodes = {(tmp_path / f"s{i}" / "hosts").stat().st_ino for i in range(30)}
    assert len(inodes) == 1
    text = (tmp_path / "s0" / "hosts").read_text()
    assert "10.89.0.31\ts29 shop-s29-1" in text.splitlines()


def test_own_extra_hosts_make_a_group_of_their_own(tmp_path: Path) -> None:
    records = {"containers": {"a": record(tmp_path, "a", "10.89.0.2", ["legacy:192.0.2.7"]),
                              "b": record(tmp_path, "b", "10.89.0.3")}}
    attach_all(tmp_path, records)
    assert "192.0.2.7\tlegacy" in (tmp_path / "a" / "hosts").read_text()
    assert "legacy" not in (tmp_path / "b" / "hosts").read_text()
    assert "10.89.0.2\ta" in (tmp_path / "b" / "hosts").read_text()


def test_a_group_file_goes_with_its_last_member(tmp_path: Path) -> None:
    records = {"containers": {"a": record(tmp_path, "a", "10.89.0.2")}}
    hosts_dir = attach_all(tmp_path, records)
    del records["containers"]["a"]
    refresh_hosts(records, hosts_dir, ["rc-shop-default"])
    assert list(hosts_dir.iterdir()) == []
