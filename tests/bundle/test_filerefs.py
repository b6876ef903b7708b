"""Where secrets and configs go and with which owner and mode, decided from values alone
(compose's rules, pkg/compose/secrets.go; #10 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.bundle.filerefs import file_ref_mounts
from richcompose.config import LoadOptions, load_project
from richcompose.errors import BundleError


def mounts(tmp_path: Path, service: str, top: str, environ: dict[str, str] | None = None
           ) -> list[tuple[str, int, int, int]]:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n" + service + top)
    project = load_project(LoadOptions(files=(tmp_path / "compose.yaml",),
                                       environ=environ or {}, working_dir=tmp_path))
    return [(m.target, m.uid, m.gid, m.mode) for m in file_ref_mounts(project, "app")]


SECRET = "secrets:\n  s:\n    content: x\n"
CONFIG = "configs:\n  c:\n    content: x\n"


def test_secret_short_syntax_goes_to_run_secrets_with_mode_0444(tmp_path: Path) -> None:
    assert mounts(tmp_path, "    secrets: [s]\n", SECRET) == [("/run/secrets/s", 0, 0, 0o444)]


def test_relative_secret_target_is_under_run_secrets(tmp_path: Path) -> None:
    assert mounts(tmp_path, "    secrets: [{source: s, target: sub/t}]\n", SECRET)[0][0] == \
        "/run/secrets/sub/t"


def test_config_goes_to_slash_name_or_its_target(tmp_path: Path) -> None:
    assert mounts(tmp_path, "    configs: [c, {source: c, target: /etc/c.conf, uid: '5', "
                            "gid: '6', mode: 0600}]\n", CONFIG) == [
        ("/c", 0, 0, 0o444), ("/etc/c.conf", 5, 6, 0o600)]


def test_environment_secret_takes_the_variables_value(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    secrets: [s]\n"
        "secrets:\n  s:\n    environment: TOKEN\n")
    project = load_project(LoadOptions(files=(tmp_path / "compose.yaml",),
                                       environ={"TOKEN": "t0ken-value"}, working_dir=tmp_path))
    assert file_ref_mounts(project, "app")[0].content == "t0ken-value"
    assert "t0ken-value" not in project.model_dump_json()


@pytest.mark.parametrize(("ref", "message"), [
    ("{source: s, uid: alice}", "uid 'alice' is not a numeric id"),
    ("{source: s, mode: 04755}", "mode 0o4755 is not a file permission"),
])
def test_bad_owner_or_mode_is_a_located_error(tmp_path: Path, ref: str, message: str) -> None:
    with pytest.raises(BundleError, match=message) as caught:
        mounts(tmp_path, f"    secrets: [{ref}]\n", SECRET)
    assert caught.value.location is not None and caught.value.location.line == 4
