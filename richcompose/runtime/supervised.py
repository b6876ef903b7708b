"""What the monitor must do for one container. One record per container,
`containers/<id>/supervision.json` (restart policy, health check, log cap, restart count,
start time), read by `ps`/`inspect` and the monitor alike; and a marker, `supervise/<id>`,
that says "watch it now" (the monitor's work list, seen through inotify). The engine sets the
marker after a start and removes it *before* a user's stop, so a stopped container is never
restarted; the monitor removes it when the restart policy gives up."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from richcompose.errors import StateError
from richcompose.hostfs import safe_join
from richcompose.runtime.health import HealthSpec
from richcompose.state import ProjectPaths, read_json, write_json


@dataclass(frozen=True)
class Supervised:
    id: str
    service: str
    runtime: str = "runc"
    restart: str = "no"
    health: HealthSpec | None = None
    log_size_max: int = 0
    restarts: int = 0
    started_at: float = field(default_factory=time.time)
    # A VM (bundle/vm.py): a reboot inside starts it again, whatever the restart policy.
    reboots: bool = False

    @property
    def needs_monitor(self) -> bool:
        return self.restart != "no" or self.health is not None or self.reboots

    def restarted(self) -> Supervised:
        return replace(self, restarts=self.restarts + 1, started_at=time.time())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["health"] = None if self.health is None else self.health.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Supervised:
        health = data.get("health")
        return cls(**{**data, "health": None if health is None else HealthSpec.from_json(health)})


def path_of(ppaths: ProjectPaths, container_id: str) -> Path:
    """The marker: present while the monitor must watch the container."""
    return safe_join(ppaths.supervise, container_id)


def record_path(ppaths: ProjectPaths, container_id: str) -> Path:
    return ppaths.container(container_id).supervision


def store(ppaths: ProjectPaths, entry: Supervised) -> None:
    """Writes the record without asking the monitor to watch it (a created container)."""
    write_json(record_path(ppaths, entry.id), entry.to_json())


def save(ppaths: ProjectPaths, entry: Supervised) -> None:
    """Writes the record and marks the container as watched."""
    store(ppaths, entry)
    # Renamed into place every time, so the monitor's inotify watch sees each start.
    write_json(path_of(ppaths, entry.id), {"started_at": entry.started_at})


def load(ppaths: ProjectPaths, container_id: str) -> Supervised | None:
    """The record, watched or not; StateError if it cannot be read."""
    path = record_path(ppaths, container_id)
    data = read_json(path)
    try:
        return None if data is None else Supervised.from_json(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise StateError(f"unreadable state file {path}: {exc}") from None


def is_watched(ppaths: ProjectPaths, container_id: str) -> bool:
    return path_of(ppaths, container_id).exists()


def remove(ppaths: ProjectPaths, container_id: str) -> None:
    """Stops the watch; the record stays (its restart count is shown by `ps`)."""
    path_of(ppaths, container_id).unlink(missing_ok=True)


def load_all(ppaths: ProjectPaths) -> dict[str, Supervised]:
    """Every watched container's record; a marker whose record is gone or unreadable is
    dropped (a record is a cache, never a blocker: the next start writes it again)."""
    if not ppaths.supervise.is_dir():
        return {}
    out = {}
    for marker in ppaths.supervise.iterdir():
        if marker.name.startswith("."):
            continue
        try:
            entry = load(ppaths, marker.name)
        except StateError:
            entry = None
        if entry is None:
            marker.unlink(missing_ok=True)
            continue
        out[entry.id] = entry
    return out


def health_path(ppaths: ProjectPaths, container_id: str) -> Path:
    return safe_join(ppaths.health, f"{container_id}.json")
