"""Shared by the fault-injection tests: what `ps` says, and the files of a project's state."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.conftest import Richcompose, leftovers
from tests.engine.helpers import SLEEPER, eventually, ps

__all__ = ["SLEEPER", "container_dir", "down_leaves_nothing", "eventually", "kill_conmon",
           "monitor_pid", "ps"]


def container_dir(rc: Richcompose, service: str, project: str = "project") -> Path:
    return rc.root / "projects" / project / "containers" / f"{project}-{service}-1"


def monitor_pid(rc: Richcompose, project: str = "project") -> int:
    return int(json.loads((rc.root / "projects" / project / "monitor.pid").read_text())["pid"])


def kill_conmon(rc: Richcompose, service: str) -> int:
    pid = int((container_dir(rc, service) / "conmon.pid").read_text())
    os.kill(pid, signal.SIGKILL)  # the test's own container's conmon, by PID
    return pid


def down_leaves_nothing(rc: Richcompose) -> None:
    down = rc("down", "-t", "1", check=False)
    assert "Traceback" not in down.stderr, down.stderr
    assert down.returncode == 0, down.stderr
    left = leftovers(rc.root)  # mounts below the root: the test may mount the root itself
    assert left == [], left
    assert not (rc.root / "projects" / "project").exists()
