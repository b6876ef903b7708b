"""What the engine remembers of each container, and what `ps`/`inspect` report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def container_name(project: str, service: str, number: int = 1) -> str:
    return f"{project}-{service}-{number}"


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
