"""The default seccomp profile: the containers ecosystem's Docker-format profile (Debian's
golang-github-containers-common, /usr/share/containers/seccomp.json, the one podman uses),
converted to the OCI `linux.seccomp` form for one architecture and one capability set.

Why convert rather than write our own: that profile is maintained against new syscalls and
kernels by the people who run it in production; ours would go stale. The Docker format has
rules that depend on the architecture and on the capabilities the container holds (e.g.
`chroot` needs CAP_SYS_CHROOT), which the OCI form cannot express, so we resolve them here.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = Path("/usr/share/containers/seccomp.json")

# uname -m → the Go architecture names the profile uses in includes/excludes.arches
_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
# Go architecture → the libseccomp name of its native architecture
_SCMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "arm": "SCMP_ARCH_ARM",
              "386": "SCMP_ARCH_X86", "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X",
              "riscv64": "SCMP_ARCH_RISCV64"}


def host_arch() -> str:
    machine = platform.machine()
    return _GO_ARCH.get(machine, machine)


def load_profile(path: Path = DEFAULT_PROFILE) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def default_profile() -> dict[str, Any] | None:
    """The installed default profile; None (no filter) only where it is not installed."""
    return load_profile() if DEFAULT_PROFILE.is_file() else None


def to_oci(profile: Mapping[str, Any], *, arch: str, capabilities: Iterable[str]) -> dict[str, Any]:
    """Docker-format profile → OCI LinuxSeccomp for `arch` (Go name) and `capabilities`."""
    caps = set(capabilities)
    native = _SCMP_ARCH.get(arch, "")
    architectures: list[str] = []
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            architectures = [native, *entry.get("subArchitectures", [])]
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    if architectures:
        out["architectures"] = architectures
    out["syscalls"] = [_rule(rule) for rule in profile.get("syscalls") or []
                       if _applies(rule, arch, caps)]
    return out


def _applies(rule: Mapping[str, Any], arch: str, caps: set[str]) -> bool:
    includes = rule.get("includes") or {}
    excludes = rule.get("excludes") or {}
    if includes.get("arches") and arch not in includes["arches"]:
        return False
    if includes.get("caps") and not set(includes["caps"]) <= caps:
        return False
    if excludes.get("arches") and arch in excludes["arches"]:
        return False
    return not (excludes.get("caps") and set(excludes["caps"]) & caps)


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
    out: dict[str, Any] = {"names": names, "action": rule["action"]}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    if rule.get("args"):
        out["args"] = [{"index": a["index"], "value": a["value"], "valueTwo": a.get("valueTwo", 0),
                        "op": a["op"]} for a in rule["args"]]
    return out
