"""The health gate: how soon a dependent starts after the probe that made its dependency
healthy (target: p95 <= 100 ms over 20 runs), and whether probes run every `start_interval`
measured start to start. The dependent is created ahead of the gate (as docker compose does),
so only its `runc start` waits for the probe.

`db` becomes ready 1 s after it starts (it touches a file its health check tests), probed
every 0.3 s in its start period; `app` depends on it with `condition: service_healthy`. Per
run: the end of db's first passing probe (its health file) against app's `start` event, and
the start-to-start gaps of db's probes.

Run as root from the repository root:  python bench/health_gate.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from benchlib import busybox_rootfs, percentile, rc_argv, rc_env

START_INTERVAL = 0.3
COMPOSE = f"""
name: gate
services:
  db:
    rootfs: ./rootfs
    network_mode: none
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; trap 'exit 0' TERM; sleep 1000 & wait"]
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 30s
      start_period: 60s
      start_interval: {START_INTERVAL}s
  app:
    rootfs: ./rootfs
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      db: {{condition: service_healthy}}
"""


def one_run(project: Path, root: Path, env: dict[str, str]) -> tuple[float, list[float]]:
    rc = rc_argv(root)
    subprocess.run([*rc, "up", "-d"], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ppaths = root / "projects/gate"
        events = [json.loads(line) for line in (ppaths / "events.jsonl").read_text().splitlines()]
        db = next(e["id"] for e in events if e["service"] == "db")
        health = json.loads((ppaths / "health" / f"{db}.json").read_text())
        probes = health["log"]
        passing = next(p for p in probes if p["exit_code"] == 0)
        started = next(e["time"] for e in events
                       if e["service"] == "app" and e["action"] == "start")
        gaps = [b["start"] - a["start"] for a, b in zip(probes, probes[1:], strict=False)
                if b["start"] <= passing["start"]]
        return started - passing["end"], gaps
    finally:
        subprocess.run([*rc, "down", "-t", "0"], cwd=project, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = rc_env()
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        work = Path(tmp)
        busybox_rootfs(work / "rootfs")
        project = work / "project"
        project.mkdir()
        (project / "rootfs").symlink_to(work / "rootfs")
        (project / "compose.yaml").write_text(COMPOSE)
        delays, gaps, load = [], [], []
        for _ in range(args.runs):
            load.append(os.getloadavg()[0])
            delay, run_gaps = one_run(project, work / "state", env)
            delays.append(delay)
            gaps += run_gaps
    ms = [d * 1000 for d in delays]
    print(f"{args.runs} runs, load average {min(load):.1f}-{max(load):.1f}")
    print(f"passing probe's end -> dependent's start: median {statistics.median(ms):.1f} ms, "
          f"p95 {percentile(ms, 0.95):.1f} ms, min {min(ms):.1f}, max {max(ms):.1f} "
          f"(target p95 <= 100 ms: {'meets' if percentile(ms, 0.95) <= 100 else 'MISSES'})")
    if gaps:
        g = [x * 1000 for x in gaps]
        print(f"probe start-to-start, start_interval {START_INTERVAL * 1000:.0f} ms: median "
              f"{statistics.median(g):.1f} ms, min {min(g):.1f}, max {max(g):.1f} over "
              f"{len(g)} gaps (ratio {statistics.median(g) / (START_INTERVAL * 1000):.2f}x)")


if __name__ == "__main__":
    main()
