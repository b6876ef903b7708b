"""The seccomp profile choice and its conversion (docker's default; #10 item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from richcompose.bundle.seccomp import load_profile, parse_kernel, to_oci
from richcompose.errors import BundleError
from tests.bundle.conftest import Render


def allowed(seccomp: dict[str, object]) -> set[str]:
    return {n for rule in seccomp["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"  # type: ignore[attr-defined,index]
            for n in rule["names"]}


def test_default_profile_is_dockers_and_gates_namespaces_on_sys_admin() -> None:
    plain = allowed(to_oci(load_profile(), arch="amd64", capabilities=[]))
    admin = allowed(to_oci(load_profile(), arch="amd64", capabilities=["CAP_SYS_ADMIN"]))
    for call in ("unshare", "setns", "mount", "umount2", "clone3"):
        assert call not in plain and call in admin
    assert "keyctl" not in admin and "add_key" not in admin


def test_clone_without_sys_admin_is_allowed_only_without_namespace_flags() -> None:
    rules = [r for r in to_oci(load_profile(), arch="amd64", capabilities=[])["syscalls"]
             if "clone" in r["names"]]
    assert [r["args"] for r in rules] == [[{"index": 0, "value": 2114060288, "valueTwo": 0,
                                            "op": "SCMP_CMP_MASKED_EQ"}]]


def test_min_kernel_rules_follow_the_kernel() -> None:
    assert "ptrace" in allowed(to_oci(load_profile(), arch="amd64", capabilities=[],
                                      kernel=(4, 8)))
    assert "ptrace" not in allowed(to_oci(load_profile(), arch="amd64", capabilities=[],
                                          kernel=(4, 4)))
    assert parse_kernel("6.1.0-18-amd64") == (6, 1)


def test_security_opt_seccomp_file_replaces_the_default(render: Render, tmp_path: Path) -> None:
    (tmp_path / "project").mkdir(exist_ok=True)
    (tmp_path / "project" / "mine.json").write_text(json.dumps(
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}))
    seccomp = render("security_opt: [seccomp=mine.json]").spec["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ALLOW"
    assert seccomp["syscalls"] == [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]


def test_unreadable_seccomp_file_is_a_located_error(render: Render) -> None:
    with pytest.raises(BundleError, match="cannot read seccomp profile") as caught:
        render("security_opt: [seccomp=missing.json]")
    assert caught.value.location is not None and caught.value.location.line == 3
