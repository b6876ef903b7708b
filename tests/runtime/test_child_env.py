"""What richcompose runs on the host (conmon and the runtime under it, CNI plugins) gets a fixed
minimal environment, never the caller's: a registry token in the CLI's environment stays out
(childenv.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from richcompose.childenv import SYSTEM_PATH
from richcompose.errors import RuntimeFailure
from richcompose.network.cni import CniCall, CniRunner
from richcompose.runtime.conmon import ConmonLauncher, ContainerFiles

SECRET = "REGISTRY_TOKEN"


def env_dumper(path: Path, dump: Path, output: str, code: int = 0) -> Path:
    path.write_text(f"#!/bin/sh\n/usr/bin/env > {dump}\necho '{output}'\nexit {code}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def dumped(dump: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)


def test_a_cni_plugin_sees_only_path_and_the_cni_variables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET, "s3cret")
    plugins = tmp_path / "cni"
    plugins.mkdir()
    env_dumper(plugins / "dump", tmp_path / "env", '{"cniVersion": "1.0.0"}')
    conflist = {"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": "dump"}]}
    CniRunner(plugins, tmp_path / "cache").add(
        conflist, CniCall("c1", tmp_path / "no-netns", "eth0"), {})
    env = dumped(tmp_path / "env")
    assert env.pop("PATH") == SYSTEM_PATH
    assert {key for key in env if key not in ("PWD", "SHLVL", "_")} == {
        "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}


def test_conmon_and_the_runtime_under_it_see_none_of_the_callers_variables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET, "s3cret")
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
    runtime = env_dumper(tmp_path / "fake-runc", tmp_path / "env", "refused", code=1)
    state = tmp_path / "ctr"
    files = ContainerFiles(bundle=tmp_path / "bundle", log=state / "ctr.log",
                           exit_dir=state / "exits", pidfile=state / "pid",
                           conmon_pidfile=state / "conmon.pid", socket_dir=state / "sockets")
    files.bundle.mkdir()
    with pytest.raises(RuntimeFailure):
        ConmonLauncher(str(runtime), tmp_path / "root").create("c1", files, timeout=20)
    env = dumped(tmp_path / "env")
    assert env["PATH"] == SYSTEM_PATH
    assert SECRET not in env and "NOTIFY_SOCKET" not in env

