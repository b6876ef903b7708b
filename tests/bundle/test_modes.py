"""Rendered bundles for each rich mode: what PID 1 is, what is mounted and generated, and
that every config.json is valid against the OCI runtime-spec schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from richcompose.errors import BundleError
from tests.bundle.conftest import Render

Validate = Callable[[dict[str, Any]], None]


def _mount(spec: dict[str, Any], destination: str) -> dict[str, Any]:
    return next(m for m in spec["mounts"] if m["destination"] == destination)


def _hooks(spec: dict[str, Any], stage: str) -> list[list[str]]:
    return [h["args"] for h in spec.get("hooks", {}).get(stage, [])]


def test_plain_service_is_valid_and_has_no_rich_dir(render: Render, validate_spec: Validate
                                                    ) -> None:
    bundle = render("command: sleep 1")
    validate_spec(bundle.spec)
    assert not bundle.files
    assert all(m["destination"] != "/.richcompose" for m in bundle.spec["mounts"])


def test_dumb_init_mode_makes_dumb_init_pid1_over_the_command(render: Render,
                                                              validate_spec: Validate) -> None:
    bundle = render("rich: true\ncommand: sleep 1")
    validate_spec(bundle.spec)
    assert bundle.spec["process"]["args"] == ["/.richcompose/bin/dumb-init", "--", "sleep", "1"]
    assert _mount(bundle.spec, "/.richcompose")["options"][1] == "ro"
    assert bundle.stop_signal == "TERM"


def test_initcmd_then_initscript_are_start_container_hooks_in_that_order(
        render: Render, validate_spec: Validate, busybox_like: Path) -> None:
    (busybox_like / "init.sh").write_text("#!/bin/sh\n")
    (busybox_like / "init.sh").chmod(0o755)
    bundle = render("rich: true\ninitcmd: echo hi\ninitscript: /init.sh\ninitscript_timeout: 7s")
    validate_spec(bundle.spec)
    assert _hooks(bundle.spec, "startContainer") == [
        ["run-hook", "initcmd", "7", "/bin/sh", "-c", "echo hi"],
        ["run-hook", "initscript", "7", "/init.sh"]]
    assert bundle.spec["hooks"]["startContainer"][0]["timeout"] == 12
    assert "bin/run-hook" in bundle.files


def test_initscript_timeout_defaults_to_60_seconds(render: Render) -> None:
    bundle = render("rich: true\ninitcmd: 'true'")
    assert _hooks(bundle.spec, "startContainer")[0][2] == "60"


@pytest.mark.parametrize(("files", "reason"), [
    ({}, "not found"),
    ({"init.sh": ("#!/bin/sh\n", 0o644)}, "not an executable file"),
    ({"init.sh": ("#!/bin/bash\n", 0o755)}, "interpreter /bin/bash not found"),
    ({"init.sh": ("#!/usr/bin/env python3\n", 0o755)}, "'python3' not found"),
    ({"init.sh": ("echo hi\n", 0o755)}, "no #! line"),
])
def test_unusable_initscript_names_service_path_and_reason(
        render: Render, busybox_like: Path, files: dict[str, tuple[str, int]], reason: str
) -> None:
    for name, (text, mode) in files.items():
        (busybox_like / name).write_text(text)
        (busybox_like / name).chmod(mode)
    with pytest.raises(BundleError) as caught:
        render("rich: true\ninitscript: /init.sh")
    assert "'app'" in caught.value.message and "/init.sh" in caught.value.message
    assert reason in caught.value.message


def test_initscript_may_come_from_a_volume(render: Render, tmp_path: Path) -> None:
    scripts = tmp_path / "project" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "init.sh").write_text("#!/bin/sh\n")
    (scripts / "init.sh").chmod(0o755)
    bundle = render("rich: true\ninitscript: /s/init.sh\nvolumes: ['./scripts:/s']")
    assert ["run-hook", "initscript", "60", "/s/init.sh"] in _hooks(bundle.spec, "startContainer")


def test_poststop_is_a_host_hook_run_in_the_project_directory(render: Render,
                                                              validate_spec: Validate) -> None:
    bundle = render("rich: true\npoststop: ./cleanup.sh")
    validate_spec(bundle.spec)
    (hook,) = bundle.spec["hooks"]["poststop"]
    assert hook["path"] == "/bin/sh" and hook["args"][-1].endswith("&& ./cleanup.sh")


def test_systemd_mode_boots_systemd_unprivileged(render: Render, systemd_like: Path,
                                                 validate_spec: Validate) -> None:
    bundle = render("rich: true\nrich_mode: systemd\ncommand: sleep 300", layer=systemd_like)
    spec = bundle.spec
    validate_spec(spec)
    assert spec["process"]["args"][0] == "/lib/systemd/systemd"
    assert spec["process"]["terminal"] is True
    assert {"type": "cgroup"} in spec["linux"]["namespaces"]
    assert "rw" in _mount(spec, "/sys/fs/cgroup")["options"]
    for folder in ("/run", "/run/lock", "/tmp"):
        assert _mount(spec, folder)["type"] == "tmpfs"
    env = dict(item.split("=", 1) for item in spec["process"]["env"])
    assert env["container"] and env["container_uuid"]
    assert "CAP_SYS_ADMIN" not in spec["process"]["capabilities"]["bounding"]
    assert bundle.stop_signal == "37"


def test_systemd_unit_runs_the_command_resolved_on_path_with_the_environment(
        render: Render, systemd_like: Path) -> None:
    bundle = render("rich: true\nrich_mode: systemd\ncommand: sleep 300\n"
                    "environment: {GREETING: 'say \"hi\" 100%'}", layer=systemd_like)
    unit = bundle.files["units/richcompose-app.service"].text
    assert 'ExecStart="/usr/bin/sleep" "300"' in unit
    assert 'Environment="GREETING=say \\"hi\\" 100%%"' in unit
    assert "richcompose-app.service" in bundle.files["units/multi-user.target.d/richcompose.conf"].text


def test_systemd_units_order_system_services_before_the_command(render: Render,
                                                                systemd_like: Path) -> None:
    bundle = render("""
        rich: true
        rich_mode: systemd
        command: sleep 300
        system_services:
          db: {command: sleep 1, ready: {port: 5432}}
          cron: {unit: cron, after: [db]}
    """, layer=systemd_like)
    app = bundle.files["units/richcompose-app.service"].text
    assert "After=richcompose-inner-db.service" in app and "Wants=cron.service" in app
    assert "ExecStartPost=" in bundle.files["units/richcompose-inner-db.service"].text
    dropin = bundle.files["units/cron.service.d/richcompose.conf"].text
    assert "After=richcompose-inner-db.service" in dropin


def test_user_mount_on_run_replaces_the_systemd_tmpfs(render: Render, systemd_like: Path
                                                      ) -> None:
    bundle = render("rich: true\nrich_mode: systemd\nvolumes: [{type: tmpfs, target: /run}]",
                    layer=systemd_like)
    assert [m["destination"] for m in bundle.spec["mounts"]].count("/run") == 1


def test_systemd_mode_without_systemd_in_the_image_is_an_error(render: Render) -> None:
    with pytest.raises(BundleError, match="the image has no systemd"):
        render("rich: true\nrich_mode: systemd")


def test_stop_signal_given_by_the_user_wins_over_systemds(render: Render, systemd_like: Path
                                                          ) -> None:
    bundle = render("rich: true\nrich_mode: systemd\nstop_signal: SIGINT", layer=systemd_like)
    assert bundle.stop_signal == "INT"


def test_sbin_init_with_busybox_init_gets_an_inittab_entry(render: Render,
                                                           validate_spec: Validate) -> None:
    bundle = render("rich: true\nrich_mode: sbin-init\ncommand: sleep 300")
    validate_spec(bundle.spec)
    assert bundle.spec["process"]["args"] == ["/sbin/init"]
    assert "::once:/.richcompose/bin/app" in bundle.files["inittab"].text
    assert "exec sleep 300" in bundle.files["bin/app"].text
    assert _mount(bundle.spec, "/etc/inittab")["source"] == "rich/inittab"


def test_sbin_init_with_systemd_as_init_is_systemd_mode(render: Render, systemd_like: Path
                                                        ) -> None:
    bundle = render("rich: true\nrich_mode: sbin-init\ncommand: sleep 1", layer=systemd_like)
    assert bundle.spec["process"]["args"][0] == "/sbin/init"
    assert "units/richcompose-app.service" in bundle.files


def test_sbin_init_without_sbin_init_is_an_error(render: Render, busybox_like: Path) -> None:
    (busybox_like / "sbin" / "init").unlink()
    with pytest.raises(BundleError, match="no executable /sbin/init"):
        render("rich: true\nrich_mode: sbin-init")


def test_system_services_get_a_launcher_between_the_init_and_the_command(
        render: Render, validate_spec: Validate) -> None:
    bundle = render("""
        rich: true
        initcmd: 'true'
        system_services:
          b: {command: sleep 2, after: [a], ready: {file: /tmp/b}}
          a: {command: sleep 1}
    """)
    validate_spec(bundle.spec)
    # The init hooks run first; the launcher runs under PID 1 in front of the command, so the
    # system services inherit the container's stdio.
    assert [args[1] for args in _hooks(bundle.spec, "startContainer")] == ["initcmd"]
    args = bundle.spec["process"]["args"]
    assert args[0].endswith("/dumb-init") and args[2] == "/.richcompose/bin/launcher"
    assert len(args) > 3  # the command follows the launcher
    assert "org.richcompose.launcher.timeout" in bundle.spec["annotations"]
    text = bundle.files["bin/launcher"].text
    assert text.rstrip().endswith('exec "$@"')
    assert text.index("system service a") < text.index("system service b")


def test_system_service_unit_outside_systemd_is_an_error(render: Render) -> None:
    with pytest.raises(BundleError, match="unit: need rich_mode systemd"):
        render("rich: true\nsystem_services: {cron: {unit: cron}}")


def test_systemd_on_a_hybrid_host_gets_its_cgroup2_subtree(render: Render, systemd_like: Path
                                                           ) -> None:
    spec = render("rich: true\nrich_mode: systemd", layer=systemd_like,
                  host_cgroup_hybrid=True).spec
    assert _mount(spec, "/sys/fs/cgroup/unified")["type"] == "cgroup2"
    plain = render("rich: true\nrich_mode: systemd", layer=systemd_like,
                   host_cgroup_hybrid=False).spec
    assert all(m["destination"] != "/sys/fs/cgroup/unified" for m in plain["mounts"])
