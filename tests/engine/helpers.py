"""Small helpers shared by the engine's end-to-end tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.conftest import Richcompose

T = TypeVar("T")

# PID 1 without an init ignores SIGTERM unless it traps it: this one stops at once.
# JSON-quoted, so it drops into YAML flow and block values alike.
SLEEPER = json.dumps("""sh -c 'trap "exit 0" TERM; sleep 1000 & wait'""")


def eventually(probe: Callable[[], T | None], timeout: float = 15, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or probe}")


def ps(rc: Richcompose) -> dict[str, dict[str, Any]]:
    return {row["service"]: row for row in json.loads(rc("ps", "-a", "--format", "json").stdout)}


def events(rc: Richcompose) -> list[dict[str, Any]]:
    return [json.loads(line) for line in rc("events", "--history", "--json").stdout.splitlines()]


def event_time(rc: Richcompose, action: str, service: str) -> float:
    return next(e["time"] for e in events(rc) if e["action"] == action and e["service"] == service)
