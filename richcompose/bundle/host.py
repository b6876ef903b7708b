"""Spec options for the keys that share something with the host or tune the cgroup beyond
limits: devices and device cgroup rules, supplementary groups, the host's pid/ipc/uts/cgroup
namespaces, memory and CPU tuning, annotations and a terminal. Each changes one concern."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from richcompose.bundle.spec import Spec, SpecOption
from richcompose.config.parts import DeviceMapping
from richcompose.errors import BundleError, Location


def device_entries(devices: Sequence[DeviceMapping], location: Location | None
                   ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(linux.devices entry, cgroup allow rule) per `devices:` item, from the host node's
    type and numbers; a path that is not a device node is an error before start."""
    out = []
    for device in devices:
        try:
            st = os.stat(device.source)
        except OSError as exc:
            raise BundleError(f"devices: {device.source}: {exc.strerror}", location=location,
                              hint="give a device node that exists on this host") from None
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            raise BundleError(f"devices: {device.source} is not a device node",
                              location=location, hint="give a character or block device")
        kind = "c" if stat.S_ISCHR(st.st_mode) else "b"
        major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
        entry = {"path": device.target or device.source, "type": kind, "major": major,
                 "minor": minor, "fileMode": stat.S_IMODE(st.st_mode), "uid": 0, "gid": 0}
        rule = {"allow": True, "type": kind, "major": major, "minor": minor,
                "access": device.permissions or "rwm"}
        out.append((entry, rule))
    return out


def with_devices(entries: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> SpecOption:
    def apply(spec: Spec) -> None:
        for entry, rule in entries:
            spec["linux"].setdefault("devices", []).append(dict(entry))
            spec["linux"]["resources"].setdefault("devices", []).append(dict(rule))
    return apply


def device_rule(text: str, location: Location | None) -> dict[str, Any]:
    """compose's `device_cgroup_rules: ['c 1:3 mr', 'a *:* rwm']` as an OCI allow rule."""
    parts = text.split()
    numbers = parts[1].split(":") if len(parts) == 3 else []
    if len(parts) != 3 or parts[0] not in ("a", "b", "c") or len(numbers) != 2 or not all(
            n == "*" or n.isdigit() for n in numbers) or not set(parts[2]) <= set("rwm"):
        raise BundleError(f"device_cgroup_rules: {text!r} is not TYPE MAJOR:MINOR ACCESS",
                          location=location, hint="e.g. 'c 1:3 mr' or 'b 8:* rw'")
    rule: dict[str, Any] = {"allow": True, "type": parts[0], "access": parts[2]}
    for key, value in zip(("major", "minor"), numbers, strict=True):
        if value != "*":
            rule[key] = int(value)
    return rule


def with_device_cgroup_rules(rules: Iterable[Mapping[str, Any]]) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["linux"]["resources"].setdefault("devices", []).extend(dict(r) for r in rules)
    return apply


def with_additional_gids(gids: Sequence[int]) -> SpecOption:
    def apply(spec: Spec) -> None:
        if gids:
            spec["process"]["user"]["additionalGids"] = list(gids)
    return apply


def with_host_namespace(kind: str) -> SpecOption:
    """`pid: host`, `ipc: host`, `uts: host`, `cgroup: host`: the host's namespace."""
    def apply(spec: Spec) -> None:
        spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"]
                                       if ns["type"] != kind]
        if kind == "uts":
            spec.pop("hostname", None)  # the host's names are not ours to set
            spec.pop("domainname", None)
            spec["linux"].get("sysctl", {}).pop("kernel.domainname", None)
    return apply


def with_private_cgroup_namespace() -> SpecOption:
    def apply(spec: Spec) -> None:
        if not any(ns["type"] == "cgroup" for ns in spec["linux"]["namespaces"]):
            spec["linux"]["namespaces"].append({"type": "cgroup"})
    return apply


def with_tuning(*, memory_reservation: int | None = None, swappiness: int | None = None,
                oom_kill_disable: bool = False, cpu_period: int | None = None,
                cpu_quota: int | None = None, cpu_rt_period: int | None = None,
                cpu_rt_runtime: int | None = None, cpuset: str | None = None) -> SpecOption:
    """compose's mem_reservation, mem_swappiness, oom_kill_disable, cpu_period, cpu_quota,
    cpu_rt_period, cpu_rt_runtime and cpuset as OCI cgroup resources."""
    def apply(spec: Spec) -> None:
        resources = spec["linux"].setdefault("resources", {})
        memory = {"reservation": memory_reservation, "swappiness": swappiness,
                  "disableOOMKiller": True if oom_kill_disable else None}
        cpu = {"period": cpu_period, "quota": cpu_quota, "realtimePeriod": cpu_rt_period,
               "realtimeRuntime": cpu_rt_runtime, "cpus": cpuset}
        for section, values in (("memory", memory), ("cpu", cpu)):
            given = {k: v for k, v in values.items() if v is not None}
            if given:
                resources.setdefault(section, {}).update(given)
    return apply


def with_terminal() -> SpecOption:
    """`tty: true`: the process gets a pty; conmon copies its output to the log."""
    def apply(spec: Spec) -> None:
        spec["process"]["terminal"] = True
    return apply
