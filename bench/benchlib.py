"""What the bench scripts share: this checkout's CLI, a busybox tree, a scratch directory, the
`--runs` option, and timing of commands in interleaved rounds."""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

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


def runs_option(description: str | None, default: int) -> int:
    """The `--runs N` (how many rounds) a bench script takes, from its command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=default)
    return int(parser.parse_args().runs)


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary directory for everything one bench run creates, removed at the end."""
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        yield Path(tmp)


def quiet(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run one command to its end; its output is dropped, a failure raises."""
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def timed(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds one command took; its output is dropped, a failure raises."""
    start = time.perf_counter()
    quiet(argv, cwd, env)
    return time.perf_counter() - start


@dataclass(frozen=True)
class Rounds:
    times: dict[str, list[float]]  # seconds, by case
    load: list[float]  # the load average at the start of each round

    @property
    def summary(self) -> str:
        return (f"{len(self.load)} interleaved rounds, load average "
                f"{min(self.load):.1f}-{max(self.load):.1f}")


def interleaved(runs: int, cases: Mapping[str, Callable[[], float]]) -> Rounds:
    """`runs` rounds of every case in turn (each returns the seconds it took), so a change in
    the machine's load touches all of them alike."""
    rounds = Rounds({name: [] for name in cases}, [])
    for _ in range(runs):
        rounds.load.append(os.getloadavg()[0])
        for name, case in cases.items():
            rounds.times[name].append(case())
    return rounds


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


class HasEnv(Protocol):
    env: dict[str, str]


Side = TypeVar("Side", bound=HasEnv)


def with_env(side: Side, **changes: str) -> Side:
    """A copy of a bench side (a richcompose project) run with other variables."""
    other = copy.copy(side)
    other.env = {**side.env, **changes}
    return other


def cold(side: Side) -> Side:
    """The side with the warm server off: each command a fresh Python process."""
    return with_env(side, RICHCOMPOSE_WARM="0")
