"""Plain values the image stage hands to the bundle and engine stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an OCI/docker image config that become a service's defaults."""

    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: list[str] = field(default_factory=list)
    working_dir: str = ""
    user: str = ""
    exposed_ports: list[str] = field(default_factory=list)
    stop_signal: str | None = None
    # Docker's Healthcheck object as stored in the image config (Test, Interval in ns, ...).
    healthcheck: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedImage:
    """An image ready to be a container's rootfs.

    `layers` are read-only directories in overlayfs `lowerdir` order: the topmost layer first.
    They are never written to; each container adds its own upper directory.
    """

    reference: str
    layers: tuple[Path, ...]
    config: ImageConfig = ImageConfig()
    digest: str | None = None
