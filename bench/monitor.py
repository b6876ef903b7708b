"""The per-project monitor: time to start (spawn until it has written its pidfile, i.e. imported
everything and entered its loop) against `python -c pass`, rounds interleaved; and its memory
while it supervises 10 busybox containers with `restart: always` and a health check, against
conmon's per container. Targets: start <= 150 ms, RSS <= 15 MiB.

Run as root from the repository root:  python bench/monitor.py [--runs 15]
Everything is created under a temporary directory and removed at the end.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from benchlib import busybox_rootfs, interleaved, quiet, rc_argv, rc_env, runs_option, scratch, timed


def spawn_until_pidfile(project_dir: Path, runtime_root: Path, env: dict[str, str]) -> float:
    pidfile = project_dir / "monitor.pid"
    pidfile.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-S", "-m", "richcompose.runtime.monitor",
                             str(project_dir), str(runtime_root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not pidfile.exists():
        time.sleep(0.0005)
    took = time.perf_counter() - start
    proc.terminate()
    proc.wait()
    return took


def kib(pid: int, key: str, name: str) -> int:
    text = Path(f"/proc/{pid}/{name}").read_text()
    return next(int(line.split()[1]) for line in text.splitlines() if line.startswith(key))


def memory(work: Path, env: dict[str, str]) -> tuple[float, float, float, float]:
    project = work / "project"
    project.mkdir()
    (project / "rootfs").symlink_to(work / "rootfs")
    lines = ["name: mon", "services:"]
    for i in range(10):
        lines += [f"  s{i}:", "    rootfs: ./rootfs", "    network_mode: none",
                  "    restart: always",
                  """    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]""",
                  "    healthcheck: {test: [CMD, 'true'], interval: 1s, start_interval: 1s}"]
    (project / "compose.yaml").write_text("\n".join(lines) + "\n")
    rc = rc_argv(work / "state")
    quiet([*rc, "up", "-d"], project, env)
    try:
        time.sleep(3.0)  # a few probes have run in their threads
        ppaths = work / "state/projects/mon"
        pid = int(json.loads((ppaths / "monitor.pid").read_text())["pid"])
        rss, pss = kib(pid, "VmRSS:", "status"), kib(pid, "Pss:", "smaps_rollup")
        conmons = [int((c / "conmon.pid").read_text()) for c in (ppaths / "containers").iterdir()]
        c_rss = statistics.mean(kib(p, "VmRSS:", "status") for p in conmons)
        c_pss = statistics.mean(kib(p, "Pss:", "smaps_rollup") for p in conmons)
    finally:
        quiet([*rc, "down", "-t", "0"], project, env)
    return rss / 1024, pss / 1024, c_rss / 1024, c_pss / 1024


def main() -> None:
    runs = runs_option(__doc__, default=15)
    env = rc_env()
    with scratch() as work:
        empty = work / "empty-project"
        empty.mkdir()
        spawn = partial(spawn_until_pidfile, empty, work / "runc", env)
        spawn()  # warm caches
        rounds = interleaved(runs, {"base": partial(timed, [sys.executable, "-c", "pass"]),
                                    "monitor": spawn})
        base, mon = rounds.times["base"], rounds.times["monitor"]
        busybox_rootfs(work / "rootfs")
        rss, pss, c_rss, c_pss = memory(work, env)
    print(rounds.summary)
    print(f"python -c pass:   median {statistics.median(base) * 1000:6.1f} ms  "
          f"min {min(base) * 1000:6.1f} ms")
    print(f"monitor to loop:  median {statistics.median(mon) * 1000:6.1f} ms  "
          f"min {min(mon) * 1000:6.1f} ms  ratio {statistics.median(mon) / statistics.median(base):.2f}x"
          f"  (target <= 150 ms)")
    print(f"monitor, 10 containers with restart: always + health checks: RSS {rss:.1f} MiB, "
          f"PSS {pss:.1f} MiB (target RSS <= 15 MiB)")
    print(f"conmon, per container: RSS {c_rss:.2f} MiB, PSS {c_pss:.2f} MiB")


if __name__ == "__main__":
    main()
