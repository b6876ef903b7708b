"""The default seccomp profile: docker's own (moby `profiles/seccomp/default.json`, shipped
here as seccomp-docker-default.json, taken unchanged from Debian's
golang-github-docker-docker-dev 20.10.24), converted to the OCI `linux.seccomp` form for one
architecture, one capability set and the running kernel.

Why docker's and not podman's (/usr/share/containers/seccomp.json): podman's allows `unshare`,
`clone` with namespace flags, `mount`, `keyctl` and friends to everyone and relies on
capabilities alone; with user namespaces that is not enough (`unshare -U -r` then gives a
process every capability over new namespaces, the usual first step of kernel exploits).
Docker's allows them only with CAP_SYS_ADMIN, which is what compose users expect.
Why convert rather than write our own: the profile is maintained against new syscalls by the
people who run it in production. The Docker format has rules that depend on the architecture,
the capabilities the container holds (e.g. `chroot` needs CAP_SYS_CHROOT) and the kernel
(`minKernel`), which the OCI form cannot express, so we resolve them here.
"""

from __future__ import annotations

import json
import platform
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = Path(__file__).with_name("seccomp-docker-default.json")

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


def host_kernel() -> tuple[int, int]:
    return parse_kernel(platform.release())


def parse_kernel(release: str) -> tuple[int, int]:
    """`6.1.0-18-amd64` → (6, 1); what `minKernel` is compared with."""
    parts = re.findall(r"\d+", release)[:2]
    return (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0) if parts else (0, 0)


def load_profile(path: Path = DEFAULT_PROFILE) -> dict[str, Any]:
    """A Docker-format profile from a regular file; a ValueError says why `path` holds none."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or /dev/zero would hang the read
            raise ValueError("not a regular file")
        profile = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    if not isinstance(profile, dict) or "defaultAction" not in profile:
        raise ValueError("not a seccomp profile (no defaultAction)")
    return profile


def to_oci(profile: Mapping[str, Any], *, arch: str, capabilities: Iterable[str],
           kernel: tuple[int, int] | None = None) -> dict[str, Any]:
    """Docker-format profile → OCI LinuxSeccomp for `arch` (Go name), `capabilities` and
    `kernel` (major, minor; default the running one)."""
    caps = set(capabilities)
    kernel = host_kernel() if kernel is None else kernel
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
                       if _applies(rule, arch, caps, kernel)]
    return out


def _applies(rule: Mapping[str, Any], arch: str, caps: set[str], kernel: tuple[int, int]) -> bool:
    # moby's rules (profiles/seccomp/seccomp_linux.go): every include must hold, no exclude.
    includes = rule.get("includes") or {}
    excludes = rule.get("excludes") or {}
    if includes.get("arches") and arch not in includes["arches"]:
        return False
    if includes.get("caps") and not set(includes["caps"]) <= caps:
        return False
    if includes.get("minKernel") and kernel < parse_kernel(includes["minKernel"]):
        return False
    if excludes.get("minKernel") and kernel >= parse_kernel(excludes["minKernel"]):
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


def requested_profile(security_opt: Iterable[str], default: Mapping[str, Any] | None,
                      project_dir: Path) -> tuple[Mapping[str, Any] | None, str | None]:
    """The profile a service asks for with docker's `security_opt`: `seccomp=unconfined` (no
    filter), `seccomp=FILE` (a Docker-format profile, relative to the project directory), else
    the default. Returns (profile, error message) — an unreadable file is the caller's error."""
    for option in security_opt:
        key, _, value = option.replace(":", "=", 1).partition("=")
        if key != "seccomp":
            continue
        if value == "unconfined":
            return None, None
        path = Path(value)  # `~` was expanded at load (config/paths.py)
        path = path if path.is_absolute() else project_dir / path
        try:
            return load_profile(path), None
        except ValueError as exc:
            return default, f"cannot read seccomp profile {path}: {exc}"
    return default, None
