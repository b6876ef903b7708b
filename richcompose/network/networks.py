"""Making, finding and destroying one CNI network (its record is a plain dict in the store).

A record: {"conflist": path, "subnet", "gateway", "internal", "owned", "users": [projects]}.
`owned` networks were made by richcompose (their bridge, conflist and leases are ours to
remove); the others are `external` conflists from the system CNI directory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from richcompose.errors import NetworkError
from richcompose.hostfs import safe_join
from richcompose.network import conflist, isolation, masquerade, subnets
from richcompose.network.store import NetworkStore
from richcompose.network.types import NetworkSpec


def make_network(
    store: NetworkStore, taken: list[str], cni_name: str, spec: NetworkSpec, *,
    pool: str, prefix: int, scope: str, owner: tuple[str, str],
) -> dict[str, Any]:
    """Choose the subnet (or check the given one) and write the conflist; the bridge itself
    appears with the first CNI ADD. The conflist also says whose network it is (`owner`:
    project and compose network name, under conflist.OWNER_KEY, which no plugin reads), so the record
    can be rebuilt from it when the store's file is lost (NetworkStore)."""
    if spec.subnet:
        subnet, gateway = subnets.validate_fixed(spec.subnet, spec.gateway, taken, cni_name)
    else:
        chosen = subnets.allocate([*taken, *_routes()], pool=pool, prefix=prefix)
        subnet, gateway = str(chosen), subnets.gateway_of(chosen)
    config = conflist.bridge_conflist(cni_name, subnet=subnet, gateway=gateway,
                                      internal=spec.internal, ipam_dir=store.ipam_dir,
                                      scope=scope)
    config[conflist.OWNER_KEY] = {"project": owner[0], "network": owner[1]}
    path = safe_join(store.conf_dir, f"{cni_name}.conflist")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    bridge = conflist.bridge_name(cni_name, scope)
    isolation.isolate(bridge)
    if not spec.internal:  # an internal network reaches nothing outside
        masquerade.add(subnet, bridge)
    return {"conflist": str(path), "subnet": subnet, "gateway": gateway,
            "internal": spec.internal, "owned": True, "users": []}


def find_system_network(conf_dir: Path, cni_name: str) -> dict[str, Any]:
    """An `external` network richcompose did not make: a conflist in /etc/cni/net.d."""
    if conf_dir.is_dir():
        for path in sorted(conf_dir.iterdir()):
            if path.suffix not in (".conflist", ".conf", ".json"):
                continue
            try:
                config = conflist.load_conflist(path)
            except (ValueError, KeyError):
                continue
            if config.get("name") == cni_name:
                return {"conflist": str(path), "subnet": "", "gateway": "",
                        "internal": False, "owned": False, "users": []}
    raise NetworkError(
        f"external network {cni_name!r} not found",
        hint=f"create it with another project or as a conflist in {conf_dir}",
    )


def destroy_network(store: NetworkStore, cni_name: str, network: dict[str, Any]) -> None:
    """Remove the bridge, conflist and leases of a network richcompose made."""
    if not network["owned"]:
        return
    bridge = conflist.bridge_of(conflist.load_conflist(Path(network["conflist"])))
    if bridge:
        _delete_link(bridge)
        isolation.release(bridge)
        if network.get("subnet"):
            masquerade.remove(network["subnet"], bridge)
    Path(network["conflist"]).unlink(missing_ok=True)
    shutil.rmtree(store.ipam_dir / cni_name, ignore_errors=True)


def _routes() -> list[str]:
    """Destinations routed in the current network namespace (what a subnet must not hide)."""
    proc = subprocess.run(["ip", "-j", "-4", "route", "show"], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    return [r["dst"] for r in json.loads(proc.stdout) if r.get("dst") not in (None, "default")]


def _delete_link(name: str) -> None:
    if subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode:
        return
    proc = subprocess.run(["ip", "link", "delete", name], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise NetworkError(f"cannot delete bridge {name}: {proc.stderr.strip()}")
