"""`richcompose up -d` + `down` against the same containers started and deleted by plain
`runc run -d` / `runc delete -f` in a shell loop (and the faster `runc kill` all, then
`runc delete`): N independent busybox services (N = 1, 10,
50) and a 10-deep depends_on chain. Also the memory of the monitor (per project) and of conmon
(per container).

Run as root from the repository root:  python bench/engine_updown.py [--runs 3]
Everything is created under a temporary directory and removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLEEPER = """sh -c 'trap "exit 0" TERM; sleep 1000 & wait'"""


def rc(root: Path, project: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "richcompose", "--root", str(root), *args],
                   cwd=project, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def compose(count: int, *, chain: bool, restart: str = "no") -> str:
    lines = ["name: bench", "services:"]
    for i in range(count):
        lines += [f"  s{i}:", "    rootfs: ./rootfs", f"    command: {json.dumps(SLEEPER)}",
                  f"    restart: {restart}"]
        if chain and i:
            lines.append(f"    depends_on: [s{i - 1}]")
    return "\n".join(lines) + "\n"


def time_richcompose(work: Path, count: int, chain: bool) -> tuple[float, float]:
    project = work / "project"
    (project / "compose.yaml").write_text(compose(count, chain=chain))
    root = work / "state"
    start = time.perf_counter()
    rc(root, project, "up", "-d")
    middle = time.perf_counter()
    rc(root, project, "down")
    return middle - start, time.perf_counter() - middle


def plain_bundles(work: Path, rootfs: Path, count: int) -> Path:
    """One bundle per container with `runc spec`'s defaults, the busybox rootfs read-only and
    the same command: what a hand-written shell loop would run."""
    bundles = work / "plain"
    for i in range(count):
        bundle = bundles / f"c{i}"
        bundle.mkdir(parents=True, exist_ok=True)
        subprocess.run(["runc", "spec"], cwd=bundle, check=True)
        spec = json.loads((bundle / "config.json").read_text())
        spec["root"] = {"path": str(rootfs), "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["sh", "-c", 'trap "exit 0" TERM; sleep 1000 & wait']
        (bundle / "config.json").write_text(json.dumps(spec))
    return bundles


def time_plain(work: Path, bundles: Path, count: int, *, fast: bool) -> tuple[float, float]:
    root = work / "plain-runc"
    ids = " ".join(f"c{i}" for i in range(count))
    up = (f"for c in {ids}; do runc --root {root} run -d --bundle {bundles}/$c $c "
          "</dev/null >/dev/null 2>&1; done")
    # fast: SIGKILL all, then delete (~20 ms each); else `delete -f` of running ones (~110 ms).
    down = f"for c in {ids}; do runc --root {root} delete -f $c 2>/dev/null; done"
    if fast:
        down = f"for c in {ids}; do runc --root {root} kill $c KILL; done; " + down
    start = time.perf_counter()
    subprocess.run(["sh", "-c", up], check=True)
    middle = time.perf_counter()
    subprocess.run(["sh", "-c", down], check=True)
    return middle - start, time.perf_counter() - middle


def rss_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB: RSS counts shared libraries fully, PSS shares them out."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
               .splitlines() if line.startswith("VmRSS:"))
    pss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text()
               .splitlines() if line.startswith("Pss:"))
    return rss, pss


def memory(work: Path, count: int) -> dict[str, float]:
    project = work / "project"
    (project / "compose.yaml").write_text(compose(count, chain=False, restart="always"))
    root = work / "state"
    rc(root, project, "up", "-d")
    time.sleep(1.0)
    pid = int(json.loads((root / "projects/bench/monitor.pid").read_text())["pid"])
    monitor = rss_kib(pid)
    conmons = [rss_kib(int((c / "conmon.pid").read_text()))
               for c in (root / "projects/bench/containers").iterdir()]
    rc(root, project, "down")
    return {"monitor_rss_kib": monitor[0], "monitor_pss_kib": monitor[1],
            "conmon_rss_kib": statistics.mean(r for r, _ in conmons),
            "conmon_pss_kib": statistics.mean(p for _, p in conmons)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        work = Path(tmp)
        rootfs = work / "rootfs"
        subprocess.run([str(REPO / "scripts/make-busybox-rootfs"), str(rootfs)], check=True,
                       stdout=subprocess.DEVNULL)
        (work / "project").mkdir()
        (work / "project/rootfs").symlink_to(rootfs)
        bundles = plain_bundles(work, rootfs, 50)
        print(f"{'case':<13}{'rc up':>7}{'down':>7}{'total':>7} |{'runc run':>9}{'del -f':>8}"
              f"{'ratio':>7} |{'kill+del':>9}{'ratio':>7} |{'up ratio':>9}")
        for label, count, chain in (("N=1", 1, False), ("N=10", 10, False),
                                    ("N=50", 50, False), ("chain of 10", 10, True)):
            ours = [time_richcompose(work, count, chain) for _ in range(args.runs)]
            plain = [time_plain(work, bundles, count, fast=False) for _ in range(args.runs)]
            fast = [time_plain(work, bundles, count, fast=True) for _ in range(args.runs)]
            o_up, o_down = (statistics.median(x) for x in zip(*ours, strict=True))
            p_up, p_down = (statistics.median(x) for x in zip(*plain, strict=True))
            f_up, f_down = (statistics.median(x) for x in zip(*fast, strict=True))
            ours_total = o_up + o_down
            print(f"{label:<13}{o_up:>7.2f}{o_down:>7.2f}{ours_total:>7.2f} |{p_up:>9.2f}"
                  f"{p_down:>8.2f}{ours_total / (p_up + p_down):>6.2f}x |{f_down:>9.2f}"
                  f"{ours_total / (f_up + f_down):>6.2f}x |{o_up / min(p_up, f_up):>8.2f}x")
        mem = memory(work, 10)
        print(f"monitor (1 per project, 10 containers with restart: always): "
              f"RSS {mem['monitor_rss_kib'] / 1024:.1f} MiB, PSS {mem['monitor_pss_kib'] / 1024:.1f} MiB")
        print(f"conmon (1 per container): RSS {mem['conmon_rss_kib'] / 1024:.2f} MiB, "
              f"PSS {mem['conmon_pss_kib'] / 1024:.2f} MiB")
        shutil.rmtree(work / "state", ignore_errors=True)


if __name__ == "__main__":
    main()
