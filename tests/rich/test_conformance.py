"""PouchContainer's rich-container conformance, under real runc: PID 1 per mode, the command's
parent, both again after stop + up; the rich keys are rejected without `rich: true`."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose
from tests.rich.conftest import pid1, ppid_of

pytestmark = pytest.mark.runc


def _project(mode: str, extra: str = "") -> str:
    return f"""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            rich_mode: {mode}
            stop_grace_period: 2s
            command: sleep 300
{extra}
    """


@pytest.mark.parametrize(("mode", "init"), [("dumb-init", "dumb-init"), ("sbin-init", "init")])
def test_pid1_is_the_modes_init_and_stays_so_after_stop_and_up(
        rc: Richcompose, mode: str, init: str) -> None:
    rc.write(_project(mode))
    for _ in range(2):
        rc("up", "-d")
        assert pid1(rc, "app").rsplit("/", 1)[-1] == init
        ps = rc("exec", "-T", "app", "ps").stdout.splitlines()
        assert init in next(line for line in ps if line.split()[0] == "1")
        assert any("sleep 300" in line for line in ps)
        rc("stop")
    rc("down", "-t", "1")


def test_sbin_init_runs_the_command_as_a_child_of_init(rc: Richcompose) -> None:
    rc.write(_project("sbin-init"))
    rc("up", "-d")
    assert ppid_of(rc, "app", "sleep") == 1
    rc("down", "-t", "1")


@pytest.mark.parametrize("key", ["initscript: /x.sh", "initcmd: 'true'", "rich_mode: systemd",
                                 "poststop: 'true'"])
def test_rich_keys_without_rich_are_rejected(rc: Richcompose, key: str) -> None:
    rc.write(f"""
        services:
          app:
            rootfs: ./rootfs
            {key}
    """)
    out = rc("config", check=False)
    assert out.returncode != 0
    assert f"{key.split(':')[0]} needs rich: true" in out.stderr


def test_unknown_rich_mode_is_rejected_listing_the_modes(rc: Richcompose) -> None:
    rc.write("""
        services:
          app: {rootfs: ./rootfs, rich: true, rich_mode: upstart}
    """)
    out = rc("config", check=False)
    assert out.returncode != 0
    for mode in ("dumb-init", "sbin-init", "systemd"):
        assert mode in out.stderr


@pytest.mark.parametrize("verbs", [("stop", "start"), ("restart",)],
                         ids=["stop-start", "restart"])
@pytest.mark.parametrize(("mode", "init"), [("dumb-init", "dumb-init"), ("sbin-init", "init")])
def test_pid1_and_init_hooks_again_after_start_and_restart(
        rc: Richcompose, mode: str, init: str, verbs: tuple[str, ...]) -> None:
    for verb in verbs:
        if rc(verb, "--help", check=False).returncode != 0:
            pytest.skip(f"`richcompose {verb}` is not in this build yet")
    rc.write(_project(mode, "            initcmd: echo started >> /out/count\n"
                            "            volumes: ['./out:/out']"))
    (rc.project_dir / "out").mkdir()
    rc("up", "-d")
    for verb in verbs:
        rc(verb)
    assert pid1(rc, "app").rsplit("/", 1)[-1] == init
    assert (rc.project_dir / "out" / "count").read_text().split() == ["started", "started"]
    if mode == "sbin-init":
        assert ppid_of(rc, "app", "sleep") == 1
    rc("down", "-t", "1")
