"""Per-command overhead against `python -c pass` of the same interpreter, rounds interleaved:
`--help`, `ps` of a stopped project, `ps` of a running 20-service project, `config -q` of a
one-service file. Prints median and min of each, and the ratio of each to `python -c pass`.

Run as root from the repository root:  python bench/startup.py [--runs 15]
Everything is created under a temporary directory and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import busybox_rootfs, rc_argv, rc_env, timed

TARGETS = {"--help": 3.0, "ps (stopped)": 4.0, "ps (20 running)": 8.0, "config -q (1 svc)": 12.0}


def project(directory: Path, services: int) -> None:
    directory.mkdir(parents=True)
    (directory / "rootfs").symlink_to(directory.parent / "rootfs")
    lines = ["services:"]
    for i in range(services):
        lines += [f"  s{i}:", "    rootfs: ./rootfs", "    network_mode: none",
                  """    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"""]
    (directory / "compose.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = rc_env()
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        work = Path(tmp)
        busybox_rootfs(work / "rootfs")
        project(work / "one", 1)
        project(work / "twenty", 20)
        rc = rc_argv(work / "state")
        cases = {"python -c pass": ([sys.executable, "-c", "pass"], work),
                 "--help": ([*rc, "--help"], work),
                 "ps (stopped)": ([*rc, "ps"], work / "one"),
                 "ps (20 running)": ([*rc, "ps"], work / "twenty"),
                 "config -q (1 svc)": ([*rc, "config", "-q"], work / "one")}
        subprocess.run([*rc, "up", "-d"], cwd=work / "twenty", env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for argv, cwd in cases.values():  # warm the page cache and the .pyc files
                timed(argv, cwd, env)
            times: dict[str, list[float]] = {name: [] for name in cases}
            load = []
            for _ in range(args.runs):
                load.append(os.getloadavg()[0])
                for name, (argv, cwd) in cases.items():
                    times[name].append(timed(argv, cwd, env))
        finally:
            subprocess.run([*rc, "down", "-t", "0"], cwd=work / "twenty", env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_med = statistics.median(times["python -c pass"])
    base_min = min(times["python -c pass"])
    print(f"{args.runs} interleaved rounds, load average {min(load):.1f}-{max(load):.1f} "
          f"({os.cpu_count()} CPUs); ratio = command / python -c pass")
    print(f"{'command':<20}{'median ms':>10}{'min ms':>8}{'ratio med':>10}{'ratio min':>10}"
          f"{'target':>8}")
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"{'<=' if med / base_med <= target else '> '}{target:.0f}x")
        print(f"{name:<20}{med * 1000:>10.1f}{low * 1000:>8.1f}{med / base_med:>9.2f}x"
              f"{low / base_min:>9.2f}x{verdict:>8}")


if __name__ == "__main__":
    main()
