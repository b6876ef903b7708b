"""The network spec option (pure): namespace by path, host mode, file mounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from richcompose.network.oci import with_network
from richcompose.network.types import Attachment

BASE: dict[str, Any] = {
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
}
FILES = Attachment("c1", Path("/run/netns/rc-c1"), hosts_file=Path("/s/hosts"),
                   resolv_file=Path("/s/resolv.conf"), hostname_file=Path("/s/hostname"))


def test_network_namespace_is_joined_by_path() -> None:
    spec = with_network(BASE, Path("/run/netns/rc-c1"), FILES)
    assert {"type": "network", "path": "/run/netns/rc-c1"} in spec["linux"]["namespaces"]
    assert {"type": "network"} not in spec["linux"]["namespaces"]


def test_host_mode_has_no_network_namespace_entry() -> None:
    spec = with_network(BASE, None, None)
    assert all(ns["type"] != "network" for ns in spec["linux"]["namespaces"])


def test_hosts_resolv_and_hostname_are_bind_mounted_read_only() -> None:
    mounts = {m["destination"]: m for m in with_network(BASE, FILES.netns_path, FILES)["mounts"]}
    assert mounts["/etc/hosts"]["source"] == "/s/hosts"
    assert mounts["/etc/resolv.conf"]["source"] == "/s/resolv.conf"
    assert mounts["/etc/hostname"]["source"] == "/s/hostname"
    assert "ro" in mounts["/etc/hosts"]["options"]


def test_other_namespaces_and_mounts_are_kept() -> None:
    spec = with_network(BASE, FILES.netns_path, FILES)
    assert {"type": "pid"} in spec["linux"]["namespaces"]
    assert spec["mounts"][0]["destination"] == "/proc"


def test_the_input_spec_is_not_modified() -> None:
    with_network(BASE, FILES.netns_path, FILES)
    assert BASE["linux"]["namespaces"][1] == {"type": "network"}
