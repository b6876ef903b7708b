"""What the monitor must do for one container: the file `supervise/<id>.json`. The engine
writes it after a start and removes it *before* a user's stop, so a stopped container is never
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
    return safe_join(ppaths.supervise, f"{container_id}.json")


def save(ppaths: ProjectPaths, entry: Supervised) -> None:
    write_json(path_of(ppaths, entry.id), entry.to_json())


def load(ppaths: ProjectPaths, container_id: str) -> Supervised | None:
    path = path_of(ppaths, container_id)
    data = read_json(path)
    try:
        return None if data is None else Supervised.from_json(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise StateError(f"unreadable state file {path}: {exc}") from None


def remove(ppaths: ProjectPaths, container_id: str) -> None:
    path_of(ppaths, container_id).unlink(missing_ok=True)


def load_all(ppaths: ProjectPaths) -> dict[str, Supervised]:
    """Every entry; an unreadable one is rebuilt from the container's stored copy (what it
    was created with) or, without one, dropped: a record is a cache, never a blocker."""
    if not ppaths.supervise.is_dir():
        return {}
    out = {}
    for path in ppaths.supervise.glob("*.json"):
        try:
            entry = load(ppaths, path.stem)
        except StateError:
            entry = _stored(ppaths, path.stem)
            if entry is None:
                path.unlink(missing_ok=True)
                continue
            save(ppaths, entry)
        if entry is not None:
            out[entry.id] = entry
    return out


def _stored(ppaths: ProjectPaths, container_id: str) -> Supervised | None:
    try:
        data = read_json(ppaths.container(container_id).supervision)
        return None if data is None else Supervised.from_json(data)
    except (StateError, TypeError, ValueError, AttributeError):
        return None


def health_path(ppaths: ProjectPaths, container_id: str) -> Path:
    return safe_join(ppaths.health, f"{container_id}.json")
