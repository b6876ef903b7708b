"""The launch plan the bundle stage writes beside config.json for the runtime."""

from __future__ import annotations

from pathlib import Path

from richcompose.bundle.launchplan import LaunchPlan, read_launch_plan
from richcompose.bundle.render import write_bundle
from tests.bundle.conftest import Render


def test_a_plain_service_needs_no_terminal_no_hook_wait_and_no_readiness(
        render: Render, tmp_path: Path) -> None:
    write_bundle(render("command: sleep 1"), tmp_path / "b")
    assert read_launch_plan(tmp_path / "b") == LaunchPlan()


def test_a_rich_initcmd_makes_the_start_wait_past_its_hooks(render: Render,
                                                            tmp_path: Path) -> None:
    write_bundle(render("rich: true\ninitcmd: echo hi\ncommand: sleep 1"), tmp_path / "b")
    assert read_launch_plan(tmp_path / "b").start_hooks


def test_system_services_give_the_start_a_readiness_timeout(render: Render,
                                                            tmp_path: Path) -> None:
    bundle = render("rich: true\ncommand: sleep 1\nsystem_services:\n"
                    "  cron: {command: sleep 100}")
    write_bundle(bundle, tmp_path / "b")
    assert read_launch_plan(tmp_path / "b").readiness_timeout is not None


def test_a_bundle_without_launch_json_gets_its_plan_from_config_json(
        render: Render, tmp_path: Path) -> None:
    bundle = render("rich: true\ninitcmd: echo hi\ncommand: sleep 1")
    write_bundle(bundle, tmp_path / "b")
    (tmp_path / "b" / "launch.json").unlink()
    assert read_launch_plan(tmp_path / "b") == bundle.launch


def test_a_vms_boot_kind_and_timeout_are_in_the_plan() -> None:
    from richcompose.bundle.names import BOOT_ANNOTATION, BOOT_TIMEOUT_ANNOTATION

    plan = LaunchPlan.of_spec({"annotations": {BOOT_ANNOTATION: "systemd",
                                               BOOT_TIMEOUT_ANNOTATION: "30"}})
    assert (plan.boot_kind, plan.boot_timeout) == ("systemd", 30.0)
    assert LaunchPlan.from_json(plan.to_json()) == plan
    assert LaunchPlan.of_spec({}).boot_kind is None
