"""What the engine remembers of each container, and what `ps`/`inspect` report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.container_setup import container_name

__all__ = ["ContainerRecord", "ContainerStatus", "container_name", "rebuilt_record"]


@dataclass
class ContainerRecord:
    """Enough to stop and remove a container later even if the project file has changed or
    is gone; `depends_on` keeps the stop order without the project file."""

    id: str
    project: str
    service: str
    stop_signal: str = "TERM"
    stop_grace_period: float = 10.0
    runtime: str = "runc"
    image: str = ""
    created_at: float = field(default_factory=time.time)
    depends_on: list[str] = field(default_factory=list)
    # Dependencies declared with `restart: true`: restarting one of them restarts this too.
    restarts_with: list[str] = field(default_factory=list)
    restart: str = "no"
    one_off: bool = False
    config_hash: str = ""  # decides whether `up` keeps the container or recreates it
    index: int = 1  # the replica number of the service's instance
    disk: str = ""  # a kept writable layer's folder (engine/disk.py); empty: none
    disk_base: str = ""  # what that layer sits on (image digest or rootfs directory)


@dataclass(frozen=True)
class ContainerStatus:
    service: str
    container: str
    state: str  # created, running, paused, exited, missing
    pid: int
    exit_code: int | None
    health: str = ""  # starting, healthy, unhealthy; empty without a health check
    restarts: int = 0
    health_output: str = ""  # the last probe's output, as `docker inspect` keeps it
    boot: str = ""  # a VM's boot state (runtime/boot.py) while it runs; empty otherwise
    disk: str = ""  # where a kept writable layer (a VM's disk) lives; empty without one
    disk_size: int | None = None  # its size in bytes

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def rebuilt_record(project: str, container_id: str, bundle: Path) -> ContainerRecord:
    """A record for a container whose record file is unreadable, from what its bundle says
    (the service annotation) and its id. No config hash: `up` recreates it."""
    service = ""
    try:
        spec = json.loads((bundle / "config.json").read_bytes())
        service = str(spec.get("annotations", {}).get("org.richcompose.service", ""))
    except (OSError, ValueError, AttributeError):
        pass
    stem = container_id.removeprefix(f"{project}-")
    one_off = "-run-" in stem
    number = 1
    if not one_off and stem.rpartition("-")[2].isdigit():
        stem, _, digits = stem.rpartition("-")
        number = int(digits)
    return ContainerRecord(id=container_id, project=project,
                           service=service or stem.partition("-run-")[0], one_off=one_off,
                           index=number, created_at=0.0)
