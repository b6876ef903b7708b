"""Image config values are service defaults; the project file overrides them as docker does."""

from __future__ import annotations

from richcompose.image.defaults import environment, process_args, stop_signal, user, working_dir
from richcompose.image.types import ImageConfig

IMAGE = ImageConfig(entrypoint=["/entry.sh"], cmd=["serve", "--port", "80"],
                    env=["PATH=/usr/bin:/bin", "MODE=prod"], working_dir="/app", user="app",
                    stop_signal="SIGQUIT")


def test_image_entrypoint_and_cmd_are_the_default_args() -> None:
    assert process_args(IMAGE, None, None) == ["/entry.sh", "serve", "--port", "80"]


def test_service_command_replaces_only_the_image_cmd() -> None:
    assert process_args(IMAGE, None, ["debug"]) == ["/entry.sh", "debug"]


def test_service_entrypoint_drops_the_image_cmd() -> None:
    assert process_args(IMAGE, ["/bin/sh"], None) == ["/bin/sh"]
    assert process_args(IMAGE, ["/bin/sh", "-c"], ["ls"]) == ["/bin/sh", "-c", "ls"]


def test_empty_service_entrypoint_clears_the_image_one() -> None:
    assert process_args(IMAGE, [], ["ls"]) == ["ls"]


def test_service_environment_overrides_image_env_by_key() -> None:
    assert environment(IMAGE, {"MODE": "dev", "EXTRA": "1"}) == [
        "PATH=/usr/bin:/bin", "MODE=dev", "EXTRA=1"]


def test_scalar_defaults_come_from_the_image_unless_the_service_sets_them() -> None:
    assert (working_dir(IMAGE, None), user(IMAGE, None), stop_signal(IMAGE, None)) == (
        "/app", "app", "SIGQUIT")
    assert (working_dir(IMAGE, "/srv"), user(IMAGE, "1000"), stop_signal(IMAGE, "SIGINT")) == (
        "/srv", "1000", "SIGINT")
    empty = ImageConfig()
    assert (working_dir(empty, None), user(empty, None), stop_signal(empty, None)) == (
        "/", "0:0", "SIGTERM")
