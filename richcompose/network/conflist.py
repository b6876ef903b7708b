"""CNI network configuration lists for project networks, rendered from plain values (pure).

Each project network is one conflist: `bridge` (with `host-local` IPAM) then `portmap`. Every
container also gets `loopback` on `lo`, as its own one-plugin list.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CNI_VERSION = "1.0.0"
LOOPBACK_NETWORK = "richcompose-loopback"
# In a conflist richcompose made: its project and compose network (no plugin reads it).
OWNER_KEY = "org.richcompose.owner"
BRIDGE_PREFIX = "rcbr"
# Linux interface names are at most 15 bytes.
IFNAMSIZ = 15


def cni_network_name(project: str, network: str) -> str:
    """The CNI (and `external:`) name of a project network, docker compose style."""
    return f"{project}_{network}"


def bridge_name(cni_name: str, scope: str = "") -> str:
    """A bridge name unique per network (and state root) and short enough for the kernel."""
    digest = hashlib.sha256(f"{scope}/{cni_name}".encode()).hexdigest()
    return f"{BRIDGE_PREFIX}{digest[: IFNAMSIZ - len(BRIDGE_PREFIX) - 3]}"


def bridge_conflist(
    cni_name: str, *, subnet: str, gateway: str, internal: bool, ipam_dir: Path, scope: str = ""
) -> dict[str, Any]:
    """bridge + host-local + portmap for one network.

    An internal network keeps the gateway address on the bridge (the host and the containers
    still talk) but gets no default route and no masquerading, like docker's `internal`.
    IPAM leases go under `ipam_dir` instead of /var/lib/cni so richcompose owns and removes them.
    """
    ipam: dict[str, Any] = {
        "type": "host-local",
        "ranges": [[{"subnet": subnet, "gateway": gateway}]],
        "dataDir": str(ipam_dir),
    }
    if not internal:
        ipam["routes"] = [{"dst": "0.0.0.0/0"}]
    bridge: dict[str, Any] = {
        "type": "bridge",
        "bridge": bridge_name(cni_name, scope),
        "isGateway": True,
        # masquerading is one rule per network (network/masquerade.py), not one per container
        "ipMasq": False,
        "hairpinMode": True,
        "capabilities": {"ips": True},
        "ipam": ipam,
    }
    portmap: dict[str, Any] = {
        "type": "portmap",
        "capabilities": {"portMappings": True},
        "snat": True,
    }
    return {"cniVersion": CNI_VERSION, "name": cni_name, "plugins": [bridge, portmap]}


def loopback_conflist() -> dict[str, Any]:
    return {"cniVersion": CNI_VERSION, "name": LOOPBACK_NETWORK, "plugins": [{"type": "loopback"}]}


def plugin_config(
    conflist: dict[str, Any],
    plugin: dict[str, Any],
    runtime_config: dict[str, Any],
    prev_result: dict[str, Any] | None,
) -> dict[str, Any]:
    """What one plugin of a chain reads on stdin, as the CNI spec builds it.

    `name` and `cniVersion` come from the list; `runtimeConfig` carries only the capabilities
    the plugin declares; `prevResult` is the result of the plugin before it (or the cached
    result, for DEL).
    """
    config = dict(plugin)
    config["name"] = conflist["name"]
    config["cniVersion"] = conflist["cniVersion"]
    declared = plugin.get("capabilities", {})
    wanted = {k: v for k, v in runtime_config.items() if declared.get(k)}
    if wanted:
        config["runtimeConfig"] = wanted
    if prev_result is not None:
        config["prevResult"] = prev_result
    return config


def load_conflist(path: Path) -> dict[str, Any]:
    """Read a conflist (or a single-plugin .conf, wrapped into a list) from disk."""
    data: dict[str, Any] = json.loads(path.read_text())
    if "plugins" not in data:
        plugin = {k: v for k, v in data.items() if k not in ("name", "cniVersion")}
        data = {"cniVersion": data.get("cniVersion", CNI_VERSION), "name": data["name"],
                "plugins": [plugin]}
    return data


def bridge_of(conflist: dict[str, Any]) -> str | None:
    """The bridge device a conflist uses, if it starts with a bridge plugin."""
    for plugin in conflist.get("plugins", []):
        if plugin.get("type") == "bridge":
            return str(plugin.get("bridge", "cni0"))
    return None
