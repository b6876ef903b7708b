"""Plain values the image stage hands to the bundle and engine stages."""

from __future__ import annotations

from collections.abc import Callable
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
    # Where a registry image came from this time (a mirror, or the registry), for `pull -v`.
    served_by: str | None = None

    @classmethod
    def of_directory(cls, path: Path) -> ResolvedImage:
        """A root filesystem directory, used as is: its one layer."""
        return cls(reference=str(path), layers=(path.resolve(),))


@dataclass(frozen=True)
class LayerEvent:
    """Progress of one layer during a pull; the CLI turns these into progress bars.

    phase: "present" (snapshot already stored, nothing to do), "downloading", "extracting"
    (current/total in compressed bytes read), "done".
    """

    image: str
    layer: str  # the layer blob's digest
    phase: str
    current: int = 0
    total: int | None = None


# Called from download threads too: the callback must be thread-safe (rich's Progress is).
Progress = Callable[[LayerEvent], None]


@dataclass(frozen=True)
class ImageSummary:
    """One stored image, as `richcompose images` lists it."""

    reference: str
    digest: str
    size: int  # bytes of unpacked file content over all its layers
    created: str  # when it was stored, ISO 8601 UTC
