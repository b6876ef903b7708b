"""What the bench scripts share: this checkout's CLI, a busybox tree, timing of a command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rc_env() -> dict[str, str]:
    """The environment that runs this checkout's richcompose (whatever pip points at)."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


def rc_argv(root: Path) -> list[str]:
    return [sys.executable, "-m", "richcompose", "--root", str(root)]


def busybox_rootfs(path: Path) -> Path:
    subprocess.run([str(REPO / "scripts/make-busybox-rootfs"), str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def timed(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds one command took; its output is dropped, a failure raises."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rc_warm_env(warm: bool) -> dict[str, str]:
    """rc_env with the warm command server (richcompose/warm) on, as a user has it, or off:
    every command a fresh Python process."""
    return {**rc_env(), "RICHCOMPOSE_WARM": "1" if warm else "0"}


def stop_warm(root: Path) -> None:
    """Ends the warm servers a bench's commands started under root (by their pid files)."""
    import signal

    for pid_file in (root / "warm").glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            continue
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
