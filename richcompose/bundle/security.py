"""Spec options for privileges and limits: capabilities, privileged, seccomp, devices,
/dev/shm, rlimits, sysctls and cgroup resources. Each changes one concern of the spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from richcompose.bundle.spec import DEFAULT_CAPABILITIES, Spec, SpecOption

# Every capability runc 1.1 knows, in the kernel's bit order (CAP_CHOWN is bit 0), so a
# capability mask such as /proc/self/status's CapBnd indexes this tuple.
ALL_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)

# Docker's default device cgroup rules: deny all, allow mknod of anything (so images can
# carry device nodes) and read/write of the harmless character devices.
DEFAULT_DEVICE_RULES: tuple[dict[str, Any], ...] = (
    {"allow": False, "access": "rwm"},
    {"allow": True, "type": "c", "access": "m"},
    {"allow": True, "type": "b", "access": "m"},
    *({"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"}
      for major, minor in ((1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2),
                           (10, 200))),
    {"allow": True, "type": "c", "major": 136, "access": "rwm"},  # /dev/pts/*
)


def bounding_set(status_text: str) -> tuple[str, ...]:
    """The capability names of a /proc/PID/status text's CapBnd mask (bits past the ones runc
    knows are ignored: runc could not grant them anyway)."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
            return tuple(name for bit, name in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)
    return ALL_CAPABILITIES


def host_bounding_set() -> tuple[str, ...]:
    """What this process may hand on: a container can never get more (runc fails with
    "unable to apply caps: operation not permitted")."""
    try:
        with open("/proc/self/status") as handle:
            return bounding_set(handle.read())
    except OSError:
        return ALL_CAPABILITIES


def normalize_capability(name: str) -> str:
    upper = name.strip().upper()
    return upper if upper.startswith("CAP_") or upper == "ALL" else f"CAP_{upper}"


def capability_set(cap_add: Iterable[str], cap_drop: Iterable[str],
                   base: Iterable[str] = DEFAULT_CAPABILITIES,
                   host: Iterable[str] = ALL_CAPABILITIES) -> list[str]:
    """Docker's rule: start from the default set, drop (ALL drops everything), then add; as
    podman, within what the host has (`host`, the bounding set): a default the host lacks is
    left out, `ALL` means all the host has. Naming a capability the host lacks is the
    caller's error to report (see missing_capabilities)."""
    available = list(host)
    caps = [c for c in base if c in available]
    dropped = {normalize_capability(c) for c in cap_drop}
    if "ALL" in dropped:
        caps = []
    caps = [c for c in caps if c not in dropped]
    for cap in map(normalize_capability, cap_add):
        for one in (available if cap == "ALL" else (cap,)):
            if one not in caps and one in available:
                caps.append(one)
    return caps


def missing_capabilities(cap_add: Iterable[str], host: Iterable[str]) -> list[str]:
    """Capabilities named in cap_add that the host's bounding set does not have (unknown
    names too: runc would refuse them)."""
    available = set(host)
    return [c for c in map(normalize_capability, cap_add) if c != "ALL" and c not in available]


def with_capabilities(caps: Iterable[str]) -> SpecOption:
    def apply(spec: Spec) -> None:
        chosen = list(caps)
        spec["process"]["capabilities"] = {"bounding": chosen[:], "effective": chosen[:],
                                           "permitted": chosen[:]}
    return apply


def with_privileged(caps: Iterable[str] = ALL_CAPABILITIES) -> SpecOption:
    """Docker's --privileged: every capability the host has (`caps`, less cap_drop), no
    seccomp, no masked or read-only paths, every device allowed, /sys and the cgroup tree
    writable."""
    chosen = list(caps)

    def apply(spec: Spec) -> None:
        with_capabilities(chosen)(spec)
        linux = spec["linux"]
        linux.pop("seccomp", None)
        linux["maskedPaths"] = []
        linux["readonlyPaths"] = []
        linux["resources"]["devices"] = [{"allow": True, "access": "rwm"}]
        for mount in spec["mounts"]:
            if mount["destination"] in ("/sys", "/sys/fs/cgroup"):
                mount["options"] = [o for o in mount["options"] if o != "ro"] + ["rw"]
    return apply


def with_seccomp(profile: Mapping[str, Any] | None) -> SpecOption:
    """None removes seccomp (security_opt: seccomp=unconfined)."""
    def apply(spec: Spec) -> None:
        if profile is None:
            spec["linux"].pop("seccomp", None)
        else:
            spec["linux"]["seccomp"] = dict(profile)
    return apply


def with_no_new_privileges(enabled: bool) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["process"]["noNewPrivileges"] = enabled
    return apply


def with_device_rules(rules: Iterable[Mapping[str, Any]] = DEFAULT_DEVICE_RULES) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["linux"].setdefault("resources", {})["devices"] = [dict(r) for r in rules]
    return apply


def with_shm_size(size: int) -> SpecOption:
    def apply(spec: Spec) -> None:
        for mount in spec["mounts"]:
            if mount["destination"] == "/dev/shm":
                mount["options"] = [o for o in mount["options"] if not o.startswith("size=")]
                mount["options"].append(f"size={size}")
    return apply


def with_rlimits(limits: Mapping[str, tuple[int, int]]) -> SpecOption:
    """compose `ulimits: {nofile: {soft, hard}}` → RLIMIT_NOFILE, replacing earlier values."""
    def apply(spec: Spec) -> None:
        current = {r["type"]: r for r in spec["process"].get("rlimits", [])}
        for name, (soft, hard) in limits.items():
            kind = f"RLIMIT_{name.upper()}"
            current[kind] = {"type": kind, "soft": soft, "hard": hard}
        spec["process"]["rlimits"] = list(current.values())
    return apply


def with_sysctls(sysctls: Mapping[str, str]) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["linux"].setdefault("sysctl", {}).update(sysctls)
    return apply


def with_resources(*, memory: int | None = None, memory_swap: int | None = None,
                   cpus: float | None = None, cpu_shares: int | None = None,
                   pids: int | None = None) -> SpecOption:
    """Cgroup limits; `cpus: 1.5` is a CFS quota of 150 ms per 100 ms period, as in docker."""
    def apply(spec: Spec) -> None:
        resources = spec["linux"].setdefault("resources", {})
        if memory is not None:
            resources.setdefault("memory", {})["limit"] = memory
        if memory_swap is not None:
            resources.setdefault("memory", {})["swap"] = memory_swap
        if cpus is not None:
            resources.setdefault("cpu", {}).update({"period": 100000, "quota": int(cpus * 100000)})
        if cpu_shares is not None:
            resources.setdefault("cpu", {})["shares"] = cpu_shares
        if pids is not None:
            resources["pids"] = {"limit": pids}
    return apply


def with_oom_score_adj(score: int) -> SpecOption:
    def apply(spec: Spec) -> None:
        spec["process"]["oomScoreAdj"] = score
    return apply
