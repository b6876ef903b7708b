"""An OCI runtime spec built the containerd way: a secure default, then small options.

A `SpecOption` changes one concern of the spec in place; a feature is a list of options, and
each option can be tested alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

Spec = dict[str, Any]
SpecOption = Callable[[Spec], None]

OCI_VERSION = "1.0.2"

# Docker's default capability set (moby/oci/caps/defaults.go).
DEFAULT_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)
MASKED_PATHS = (
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def default_spec() -> Spec:
    """A spec with Docker's secure defaults: default capabilities, masked and read-only paths,
    no-new-privileges, private namespaces, the standard /proc, /dev and /sys mounts."""
    caps = list(DEFAULT_CAPABILITIES)
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": ["/bin/sh"],
            "env": [f"PATH={DEFAULT_PATH}"],
            "cwd": "/",
            "capabilities": {"bounding": caps[:], "effective": caps[:], "permitted": caps[:]},
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "richcompose",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        },
    }


def build_spec(options: Iterable[SpecOption], base: Spec | None = None) -> Spec:
    spec = copy.deepcopy(base) if base is not None else default_spec()
    for option in options:
        option(spec)
    return spec


# --- process -------------------------------------------------------------------------------

def with_process_args(args: Sequence[str]) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["process"]["args"] = list(args)
    return apply


def with_env(env: Mapping[str, str]) -> SpecOption:
    """Sets variables, replacing earlier values of the same name and keeping the order."""
    def apply(spec: Spec) -> None:
        current = dict(item.split("=", 1) for item in spec["process"]["env"])
        current.update(env)
        spec["process"]["env"] = [f"{k}={v}" for k, v in current.items()]
    return apply


def with_cwd(cwd: str) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["process"]["cwd"] = cwd or "/"
    return apply


def with_user(uid: int, gid: int, additional_gids: Sequence[int] = ()) -> SpecOption:
    def apply(spec: Spec) -> None:
        user: dict[str, Any] = {"uid": uid, "gid": gid}
        if additional_gids:
            user["additionalGids"] = list(additional_gids)
        spec["process"]["user"] = user
    return apply


def with_hostname(hostname: str) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["hostname"] = hostname
    return apply


def with_domainname(domainname: str) -> SpecOption:
    """The NIS domain name of the container's UTS namespace (`domainname` inside): the OCI
    field, and the UTS-namespaced sysctl too, since runc 1.1 ignores the field (1.2 and crun
    honour it); runc allows kernel.domainname when the container has its own UTS namespace."""
    def apply(spec: Spec) -> None:
        spec["domainname"] = domainname
        spec["linux"].setdefault("sysctl", {})["kernel.domainname"] = domainname
    return apply


def with_root(path: str, *, readonly: bool = False) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["root"] = {"path": path, "readonly": readonly}
    return apply


# --- mounts --------------------------------------------------------------------------------

def with_mounts(mounts: Iterable[Mapping[str, Any]]) -> SpecOption:
    """Adds mounts; a mount on a destination that already has one replaces it."""
    def apply(spec: Spec) -> None:
        for mount in mounts:
            spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != mount["destination"]]
            spec["mounts"].append(dict(mount))
    return apply


def bind_mount(source: str, destination: str, *, readonly: bool = True) -> dict[str, Any]:
    options = ["rbind", "ro" if readonly else "rw", "nosuid", "nodev"]
    return {"destination": destination, "type": "bind", "source": source, "options": options}


# --- namespaces, cgroups, hooks ------------------------------------------------------------

def with_namespace_path(kind: str, path: str | None) -> SpecOption:
    """Joins an existing namespace (path) or, with None, drops the namespace (host's)."""
    def apply(spec: Spec) -> None:
        namespaces = [ns for ns in spec["linux"]["namespaces"] if ns["type"] != kind]
        if path is not None:
            namespaces.append({"type": kind, "path": path})
        spec["linux"]["namespaces"] = namespaces
    return apply


def with_cgroups_path(path: str) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["linux"]["cgroupsPath"] = path
    return apply


def with_hook(stage: str, path: str, args: Sequence[str], *, env: Sequence[str] = (),
              timeout: int | None = None) -> SpecOption:
    """Appends an OCI hook (prestart, createRuntime, createContainer, startContainer, poststart,
    poststop); hooks of a stage run in the order they were added."""
    def apply(spec: Spec) -> None:
        hook: dict[str, Any] = {"path": path, "args": list(args)}
        if env:
            hook["env"] = list(env)
        if timeout is not None:
            hook["timeout"] = timeout
        spec.setdefault("hooks", {}).setdefault(stage, []).append(hook)
    return apply


def with_annotations(annotations: Mapping[str, str]) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec.setdefault("annotations", {}).update(annotations)
    return apply
