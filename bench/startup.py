"""Per-command overhead against `python -c pass` of the same interpreter, rounds interleaved:
`--help`, `ps` of a stopped project, `ps` of a running 20-service project, `config -q` of a
one-service file, each with the warm command server and cold (RICHCOMPOSE_WARM=0). Prints
median and min of each, and the ratio of each to `python -c pass`.

Run as root from the repository root:  python bench/startup.py [--runs 15]
Everything is created under a temporary directory and removed at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
from functools import partial
from pathlib import Path

from benchlib import (
    busybox_rootfs,
    interleaved,
    quiet,
    rc_argv,
    rc_warm_env,
    runs_option,
    scratch,
    stop_warm,
    timed,
)

TARGETS = {"--help": 3.0, "ps (stopped)": 4.0, "ps (20 running)": 8.0, "config -q (1 svc)": 12.0}
TARGETS |= {f"{name} cold": target for name, target in TARGETS.items() if name != "--help"}


def project(directory: Path, services: int) -> None:
    directory.mkdir(parents=True)
    (directory / "rootfs").symlink_to(directory.parent / "rootfs")
    lines = ["services:"]
    for i in range(services):
        lines += [f"  s{i}:", "    rootfs: ./rootfs", "    network_mode: none",
                  """    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"""]
    (directory / "compose.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    runs = runs_option(__doc__, default=15)
    env, cold = rc_warm_env(True), rc_warm_env(False)
    with scratch() as work:
        busybox_rootfs(work / "rootfs")
        project(work / "one", 1)
        project(work / "twenty", 20)
        rc = rc_argv(work / "state")
        commands = {"python -c pass": ([sys.executable, "-c", "pass"], work),
                    "--help": ([*rc, "--help"], work),
                    "ps (stopped)": ([*rc, "ps"], work / "one"),
                    "ps (20 running)": ([*rc, "ps"], work / "twenty"),
                    "config -q (1 svc)": ([*rc, "config", "-q"], work / "one")}
        # `--help` never goes to the warm server (richcompose/warm/client.py); the others run
        # warm, as a user has them, and cold (RICHCOMPOSE_WARM=0: a fresh process each).
        cases = {name: partial(timed, argv, cwd, env) for name, (argv, cwd) in commands.items()}
        cases |= {f"{name} cold": partial(timed, argv, cwd, cold)
                  for name, (argv, cwd) in commands.items() if name.startswith(("ps", "config"))}
        quiet([*rc, "up", "-d"], work / "twenty", env)
        try:
            for case in cases.values():  # warm the page cache and the .pyc files
                case()
            rounds = interleaved(runs, cases)
        finally:
            quiet([*rc, "down", "-t", "0"], work / "twenty", env)
            stop_warm(work / "state")
    base_med = statistics.median(rounds.times["python -c pass"])
    base_min = min(rounds.times["python -c pass"])
    print(f"{rounds.summary} ({os.cpu_count()} CPUs); ratio = command / python -c pass")
    print(f"{'command':<24}{'median ms':>10}{'min ms':>8}{'ratio med':>10}{'ratio min':>10}"
          f"{'target':>8}")
    for name, values in rounds.times.items():
        med, low = statistics.median(values), min(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"{'<=' if med / base_med <= target else '> '}{target:.0f}x")
        print(f"{name:<24}{med * 1000:>10.1f}{low * 1000:>8.1f}{med / base_med:>9.2f}x"
              f"{low / base_min:>9.2f}x{verdict:>8}")


if __name__ == "__main__":
    main()
