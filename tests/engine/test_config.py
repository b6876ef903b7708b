"""The engine configuration: one value the CLI builds once from its flags and the environment;
no stage reads the environment itself (#11 item 4)."""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path

import pytest

from richcompose.bundle.render import RenderContext
from richcompose.bundle.seccomp import DEFAULT_PROFILE
from richcompose.config.loader import LoadOptions, load_project
from richcompose.engine import Engine
from richcompose.engine.config import DEFAULT_LOG_MAX, EngineConfig
from richcompose.errors import BundleError, UsageError
from richcompose.image.types import LayerEvent
from richcompose.state import StatePaths
from tests.conftest import Richcompose
from tests.image.layouts import OciImage, entry, make_tar, write_oci_layout


def from_environ(tmp_path: Path, **environ: str) -> EngineConfig:
    return EngineConfig.from_environ(StatePaths(tmp_path), environ)


@pytest.mark.parametrize("content", [None, "not json", '{"syscalls": []}', "directory"])
def test_a_seccomp_profile_that_cannot_be_used_is_an_error_saying_how_to_repair_or_opt_out(
        tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "profile.json"
    if content == "directory":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    config = from_environ(tmp_path, RICHCOMPOSE_SECCOMP_PROFILE=str(path))
    with pytest.raises(BundleError) as caught:
        config.load_seccomp_profile()
    assert str(path) in caught.value.message and "\n" not in caught.value.message
    assert "RICHCOMPOSE_SECCOMP_PROFILE=unconfined" in caught.value.hint


def test_the_bundled_profile_is_the_default(tmp_path: Path) -> None:
    config = from_environ(tmp_path)
    assert config.seccomp_profile == DEFAULT_PROFILE
    profile = config.load_seccomp_profile()
    assert profile is not None and profile["defaultAction"] == "SCMP_ACT_ERRNO"


def test_unconfined_opts_out_of_the_seccomp_filter(tmp_path: Path) -> None:
    config = from_environ(tmp_path, RICHCOMPOSE_SECCOMP_PROFILE="unconfined")
    assert config.seccomp_profile is None and config.load_seccomp_profile() is None


def test_a_profile_path_in_the_environment_replaces_the_default(tmp_path: Path) -> None:
    (tmp_path / "mine.json").write_text(json.dumps({"defaultAction": "SCMP_ACT_LOG"}))
    config = from_environ(tmp_path, RICHCOMPOSE_SECCOMP_PROFILE=str(tmp_path / "mine.json"))
    assert config.load_seccomp_profile() == {"defaultAction": "SCMP_ACT_LOG"}


def test_flags_and_environment_become_the_configuration(tmp_path: Path) -> None:
    environ = {"RICHCOMPOSE_LOG_MAX_SIZE": "16k", "RICHCOMPOSE_DUMB_INIT": "/opt/dumb-init",
               "RICHCOMPOSE_TINI": "/opt/tini", "HOME": "/home/me"}
    config = EngineConfig.from_environ(StatePaths(tmp_path), environ, runtime="crun",
                                       pull_policy="always")
    assert (config.log_size_max, config.dumb_init, config.tini, config.runtime,
            config.pull_policy) == (16 << 10, "/opt/dumb-init", "/opt/tini", "crun", "always")
    assert config.environ == environ and config.create_ahead


def test_logs_are_capped_by_default_and_minus_one_lifts_the_cap(tmp_path: Path) -> None:
    assert from_environ(tmp_path).log_size_max == DEFAULT_LOG_MAX == 10 << 20
    assert from_environ(tmp_path, RICHCOMPOSE_LOG_MAX_SIZE="-1").log_size_max == 0


def test_a_log_cap_that_is_no_size_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="RICHCOMPOSE_LOG_MAX_SIZE='lots' is not a size"):
        from_environ(tmp_path, RICHCOMPOSE_LOG_MAX_SIZE="lots")


def test_load_options_and_render_context_take_no_hidden_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    required = {f.name for cls in (LoadOptions, RenderContext) for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert {"environ", "host_env"} <= required  # no default that would read os.environ
    monkeypatch.setenv("RC_HIDDEN", "from-the-process")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    environment:\n"
        "      A: ${RC_HIDDEN:-unset}\n      RC_HIDDEN:\n")
    service = load_project(LoadOptions(files=(tmp_path / "compose.yaml",), environ={},
                                       working_dir=tmp_path)).services["app"]
    assert service.environment == {"A": "unset", "RC_HIDDEN": None}


def test_pull_progress_reaches_the_image_store(tmp_path: Path) -> None:
    layer = make_tar(entry("bin", tarfile.DIRTYPE, mode=0o755), entry("bin/sh", data=b""))
    write_oci_layout(tmp_path / "layout", {"1": OciImage([layer])})
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  app:\n    image: oci:{tmp_path / 'layout'}:1\n    command: ['true']\n")
    project = load_project(LoadOptions(files=(tmp_path / "compose.yaml",), environ={},
                                       working_dir=tmp_path))
    events: list[LayerEvent] = []
    engine = Engine(EngineConfig(StatePaths(tmp_path / "state"), pull_progress=events.append))
    engine.render(project, tmp_path / "out")
    assert {event.phase for event in events} >= {"done"}


def test_the_cli_reports_an_unusable_seccomp_profile_in_one_line(rc: Richcompose) -> None:
    rc.write("services:\n  app:\n    rootfs: ./rootfs\n    command: ['true']\n")
    for command in (("render", "-o", "out"), ("up", "-d")):
        done = rc(*command, check=False, env={"RICHCOMPOSE_SECCOMP_PROFILE": "/nonexistent"})
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "seccomp profile /nonexistent: No such file or directory" in done.stderr
        assert "RICHCOMPOSE_SECCOMP_PROFILE=unconfined" in done.stderr
    assert not (rc.project_dir / "out").exists()


def test_the_cli_reports_a_bad_log_cap_as_a_usage_error(rc: Richcompose) -> None:
    rc.write("services:\n  app:\n    rootfs: ./rootfs\n    command: ['true']\n")
    done = rc("render", "-o", "out", check=False, env={"RICHCOMPOSE_LOG_MAX_SIZE": "lots"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "RICHCOMPOSE_LOG_MAX_SIZE='lots' is not a size" in done.stderr
