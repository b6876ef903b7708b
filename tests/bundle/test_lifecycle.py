"""Lifecycle hooks decided from values: post_start/pre_stop execs, pre_start one-off services."""

from __future__ import annotations

from pathlib import Path

from richcompose.bundle.lifecycle import (
    HookCommand,
    hook_commands,
    pre_start_service,
    read_hook_commands,
    write_hook_commands,
)
from richcompose.config.models import Service
from richcompose.logs import read_lines
from richcompose.runtime.lifecycle import _append_log

SERVICE = Service.model_validate({
    "image": "busybox", "user": "1000", "working_dir": "/srv", "ports": ["8080:80"],
    "environment": {"MODE": "prod"}, "restart": "always",
    "post_start": [{"command": "touch /tmp/started", "user": "0:0", "privileged": True,
                    "working_dir": "/tmp", "environment": ["A=1", "FROM_SHELL"]}],
    "pre_stop": [{"command": ["sh", "-c", "echo bye"]}],
    "pre_start": [{"command": "echo init", "environment": {"STEP": "1"}},
                  {"image": "alpine", "user": "2"}],
})


def test_post_start_command_carries_user_privileged_cwd_and_environment() -> None:
    (command,) = hook_commands(SERVICE, "post_start", [], {"FROM_SHELL": "x"})
    assert command == HookCommand("post_start", 0, ("touch", "/tmp/started"),
                                  (("A", "1"), ("FROM_SHELL", "x")), "0:0", "/tmp", True)


def test_hook_without_user_or_cwd_uses_the_containers() -> None:
    (command,) = hook_commands(SERVICE, "pre_stop", [], {})
    assert (command.user, command.cwd, command.privileged) == ("", "", False)


def test_hook_commands_survive_the_lifecycle_file(tmp_path: Path) -> None:
    commands = [*hook_commands(SERVICE, "post_start", [], {}),
                *hook_commands(SERVICE, "pre_stop", [], {})]
    write_hook_commands(tmp_path, commands)
    assert read_hook_commands(tmp_path, "pre_stop") == [commands[1]]
    assert read_hook_commands(tmp_path / "missing", "pre_stop") == []


def test_pre_start_runs_the_services_image_with_its_environment_plus_the_hooks() -> None:
    one_off = pre_start_service(SERVICE, SERVICE.pre_start[0])
    assert (one_off.image, one_off.command, one_off.user, one_off.working_dir) == (
        "busybox", ["echo", "init"], "1000", "/srv")
    assert one_off.environment == {"MODE": "prod", "STEP": "1"}


def test_pre_start_container_has_none_of_the_services_own_container_settings() -> None:
    one_off = pre_start_service(SERVICE, SERVICE.pre_start[0])
    assert (one_off.ports, one_off.restart, one_off.post_start, one_off.pre_stop) == (
        [], "no", [], [])


def test_pre_start_with_another_image_uses_its_user_and_command() -> None:
    one_off = pre_start_service(SERVICE, SERVICE.pre_start[1])
    assert (one_off.image, one_off.command, one_off.user) == ("alpine", None, "2")


def test_hook_output_reaches_the_containers_log(tmp_path: Path) -> None:
    log = tmp_path / "container.log"
    _append_log(log, "stdout", b"one\ntwo\n")
    _append_log(log, "stderr", b"oops")
    assert [(line.stream, line.text) for line in read_lines(log)] == [
        ("stdout", "one"), ("stdout", "two"), ("stderr", "oops")]
