"""How an image's config and a service's settings combine, as docker does.

Pure functions for the bundle stage: the project file wins; an image value fills what the
service leaves unset.
"""

from __future__ import annotations

from collections.abc import Mapping

from richcompose.image.types import ImageConfig


def process_args(image: ImageConfig, entrypoint: list[str] | None,
                 command: list[str] | None) -> list[str]:
    """The container's argv. A service `entrypoint` replaces the image's and also drops the
    image's `Cmd` (docker's rule); a service `command` replaces only the `Cmd`."""
    if entrypoint is not None:
        return [*entrypoint, *(command or [])]
    cmd = command if command is not None else (image.cmd or [])
    return [*(image.entrypoint or []), *cmd]


def environment(image: ImageConfig, service: Mapping[str, str]) -> list[str]:
    """`KEY=value` list: the image's `Env`, each key overridden by the service's value."""
    merged: dict[str, str] = {}
    for item in image.env:
        key, _, value = item.partition("=")
        merged[key] = value
    merged.update(service)
    return [f"{key}={value}" for key, value in merged.items()]


def working_dir(image: ImageConfig, service: str | None) -> str:
    return service or image.working_dir or "/"


def user(image: ImageConfig, service: str | None) -> str:
    return service or image.user or "0:0"


def stop_signal(image: ImageConfig, service: str | None) -> str:
    return service or image.stop_signal or "SIGTERM"
