"""Container lifecycle events as JSON lines, appended by the engine and the monitor to one
events.jsonl per project. One write() per line below PIPE_BUF keeps concurrent appends whole."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def append_event(path: Path, action: str, service: str, container: str, **attributes: Any) -> None:
    record = {"time": time.time(), "type": "container", "action": action, "service": service,
              "id": container, "attributes": attributes}
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with open(path) as handle:
            for line in handle:
                if line.endswith("\n"):
                    yield json.loads(line)
    except FileNotFoundError:
        return


def follow_events(path: Path, emit: Callable[[dict[str, Any]], None],
                  keep_going: Callable[[], bool], *, from_start: bool = False,
                  poll: float = 0.1) -> None:
    offset = 0 if from_start or not path.exists() else path.stat().st_size
    pending = b""
    while keep_going():
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except FileNotFoundError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                emit(json.loads(line))
        if not chunk:
            time.sleep(poll)
