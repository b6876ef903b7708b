"""Each service key maps to one spec option; each is checked alone and against the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from richcompose.bundle import security
from richcompose.bundle.seccomp import load_profile, to_oci
from richcompose.bundle.spec import DEFAULT_CAPABILITIES, build_spec
from tests.bundle.conftest import Render

Validate = Callable[[dict[str, Any]], None]


@pytest.fixture
def spec_of(render: Render, validate_spec: Validate) -> Callable[[str], dict[str, Any]]:
    def run(service: str) -> dict[str, Any]:
        spec = render(service).spec
        validate_spec(spec)
        return spec
    return run


def test_default_spec_is_secure(spec_of: Callable[[str], dict[str, Any]]) -> None:
    spec = spec_of("command: sleep 1")
    assert spec["process"]["capabilities"]["bounding"] == list(DEFAULT_CAPABILITIES)
    assert spec["process"]["noNewPrivileges"] is True
    assert spec["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert "/proc/kcore" in spec["linux"]["maskedPaths"]
    assert spec["linux"]["resources"]["devices"][0] == {"allow": False, "access": "rwm"}


def test_cap_add_and_cap_drop_follow_dockers_rules(spec_of: Callable[[str], dict[str, Any]]
                                                   ) -> None:
    caps = spec_of("cap_add: [NET_ADMIN]\ncap_drop: [CHOWN, cap_kill]")["process"][
        "capabilities"]["effective"]
    assert "CAP_NET_ADMIN" in caps and "CAP_CHOWN" not in caps and "CAP_KILL" not in caps


def test_cap_drop_all_then_add_leaves_only_the_added(spec_of: Callable[[str], dict[str, Any]]
                                                     ) -> None:
    caps = spec_of("cap_drop: [ALL]\ncap_add: [NET_BIND_SERVICE]")["process"]["capabilities"]
    assert caps["bounding"] == ["CAP_NET_BIND_SERVICE"]


def test_seccomp_follows_the_capabilities(spec_of: Callable[[str], dict[str, Any]]) -> None:
    def allowed(spec: dict[str, Any]) -> set[str]:
        return {n for rule in spec["linux"]["seccomp"]["syscalls"]
                if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}
    assert "bpf" not in allowed(spec_of("command: sleep 1"))
    assert "bpf" in allowed(spec_of("cap_add: [SYS_ADMIN]"))


def test_seccomp_unconfined_removes_the_filter(spec_of: Callable[[str], dict[str, Any]]
                                               ) -> None:
    assert "seccomp" not in spec_of("security_opt: ['seccomp=unconfined']")["linux"]


def test_privileged_grants_everything(spec_of: Callable[[str], dict[str, Any]]) -> None:
    spec = spec_of("privileged: true")
    assert "CAP_SYS_ADMIN" in spec["process"]["capabilities"]["bounding"]
    assert "seccomp" not in spec["linux"] and spec["linux"]["maskedPaths"] == []
    assert spec["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]


def test_read_only_makes_the_root_read_only(spec_of: Callable[[str], dict[str, Any]]) -> None:
    assert spec_of("read_only: true")["root"]["readonly"] is True


def test_tmpfs_mounts_a_tmpfs_with_its_options(spec_of: Callable[[str], dict[str, Any]]) -> None:
    mount = next(m for m in spec_of("tmpfs: ['/cache:size=1m']")["mounts"]
                 if m["destination"] == "/cache")
    assert mount["type"] == "tmpfs" and "size=1m" in mount["options"]


def test_shm_size_sets_the_dev_shm_size(spec_of: Callable[[str], dict[str, Any]]) -> None:
    mount = next(m for m in spec_of("shm_size: 128m")["mounts"] if m["destination"] == "/dev/shm")
    assert f"size={128 * 1024 * 1024}" in mount["options"]
    assert len([o for o in mount["options"] if o.startswith("size=")]) == 1


def test_ulimits_become_rlimits(spec_of: Callable[[str], dict[str, Any]]) -> None:
    spec = spec_of("ulimits: {nofile: {soft: 1024, hard: 4096}, nproc: 512}")
    assert {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096} in spec["process"]["rlimits"]
    assert {"type": "RLIMIT_NPROC", "soft": 512, "hard": 512} in spec["process"]["rlimits"]


def test_sysctls_are_set(spec_of: Callable[[str], dict[str, Any]]) -> None:
    assert spec_of("sysctls: {net.core.somaxconn: 1024}")["linux"]["sysctl"] == {
        "net.core.somaxconn": "1024"}


def test_user_working_dir_and_hostname(spec_of: Callable[[str], dict[str, Any]]) -> None:
    spec = spec_of("user: nobody\nworking_dir: /srv\nhostname: web")
    assert spec["process"]["user"] == {"uid": 65534, "gid": 65534}
    assert spec["process"]["cwd"] == "/srv" and spec["hostname"] == "web"


def test_mem_limit_cpus_and_pids_limit_become_cgroup_resources(
        spec_of: Callable[[str], dict[str, Any]]) -> None:
    resources = spec_of("mem_limit: 64m\ncpus: 1.5\npids_limit: 100")["linux"]["resources"]
    assert resources["memory"]["limit"] == 64 * 1024 * 1024
    assert resources["cpu"] == {"period": 100000, "quota": 150000}
    assert resources["pids"] == {"limit": 100}


def test_init_true_puts_tini_in_front_without_rich(spec_of: Callable[[str], dict[str, Any]]
                                                   ) -> None:
    spec = spec_of("init: true\ncommand: sleep 1")
    assert spec["process"]["args"] == ["/.richcompose-init", "--", "sleep", "1"]
    mount = next(m for m in spec["mounts"] if m["destination"] == "/.richcompose-init")
    assert mount["source"] == "/usr/bin/tini-static"


def test_stop_signal_is_the_services(render: Render) -> None:
    assert render("stop_signal: SIGUSR1").stop_signal == "USR1"


def test_shm_option_alone_changes_only_dev_shm() -> None:
    before = build_spec([])
    after = build_spec([security.with_shm_size(1024)])
    changed = [m["destination"] for m, n in zip(before["mounts"], after["mounts"], strict=True)
               if m != n]
    assert changed == ["/dev/shm"]


def test_seccomp_conversion_keeps_only_this_arch_rules() -> None:
    profile = load_profile()
    amd64 = {n for r in to_oci(profile, arch="amd64", capabilities=[])["syscalls"]
             for n in r["names"]}
    arm64 = {n for r in to_oci(profile, arch="arm64", capabilities=[])["syscalls"]
             for n in r["names"]}
    assert "arch_prctl" in amd64 and "arch_prctl" not in arm64
    assert to_oci(profile, arch="amd64", capabilities=[])["architectures"][0] == \
        "SCMP_ARCH_X86_64"
