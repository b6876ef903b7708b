"""Time to load and validate a large project: N services (default 1,000), each with the keys a
real service has (image, command, environment, ports, volumes, healthcheck, depends_on,
labels, resources), in one file; then the dependency graph. Prints the median of several runs
per stage.

Then `richcompose config -q` as a command (start-up included) on depends_on shapes of 1,000
and 5,000 services: a chain (each depends on the one before), fan-in (one depends on all) and
fan-out (all depend on one). Targets: 1,000 in a chain <= 1.0 s, 5,000 <= 3 s; the ms per
service at both sizes shows whether the cost is linear.

Run from the repository root:  python bench/config_load.py [--services 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from richcompose.config import LoadOptions, load_project  # noqa: E402
from richcompose.config.parse import read_yaml_file  # noqa: E402
from richcompose.graph import build_graph, start_order  # noqa: E402


def project_text(services: int) -> str:
    lines = ["name: bench", "services:"]
    for i in range(services):
        lines += [
            f"  svc{i}:",
            f"    image: registry.example.com/team/svc{i % 50}:1.{i % 7}",
            f"    command: [\"/app/run\", \"--id\", \"{i}\", \"--port\", \"8080\"]",
            "    environment:",
            f"      SERVICE_ID: \"{i}\"",
            "      REGION: ${REGION:-eu-west-1}",
            "      LOG_LEVEL: info",
            "    ports:",
            f"      - \"127.0.0.1:{10000 + i}:8080\"",
            "    volumes:",
            f"      - ./data/svc{i}:/data",
            "      - shared:/shared:ro",
            "    healthcheck:",
            "      test: [\"CMD\", \"/app/health\"]",
            "      interval: 10s",
            "      retries: 3",
            "    labels: [team=core, tier=backend]",
            "    mem_limit: 256m",
            "    restart: unless-stopped",
        ]
        if i:
            lines += ["    depends_on:", f"      svc{(i - 1) // 2}:",
                      "        condition: service_healthy"]
    lines += ["volumes:", "  shared: {}"]
    return "\n".join(lines) + "\n"


def extends_text(services: int) -> str:
    """The same number of services, each extending one base: positions move per service."""
    lines = ["name: bench-extends", "services:", "  base:", "    image: registry.example.com/base:1",
             "    environment: {A: '1', B: '2'}", "    ports: ['8080']",
             "    healthcheck: {test: [CMD, /app/health], interval: 10s}"]
    for i in range(services):
        lines += [f"  svc{i}:", "    extends: base", f"    command: run {i}",
                  f"    environment: {{ID: '{i}'}}"]
    return "\n".join(lines) + "\n"


def shape_text(shape: str, services: int) -> str:
    lines = [f"name: {shape}", "services:"]
    for i in range(services):
        lines += [f"  s{i}:", f"    image: registry.example.com/s{i % 50}:1",
                  f"    command: [run, '{i}']", "    environment: {LOG_LEVEL: info}"]
        if shape == "chain" and i:
            lines.append(f"    depends_on: [s{i - 1}]")
        elif shape == "fan-out" and i:
            lines.append("    depends_on: [s0]")
        elif shape == "fan-in" and i == 0:
            lines += ["    depends_on:"] + [f"      - s{j}" for j in range(1, services)]
    return "\n".join(lines) + "\n"


def config_command(directory: Path, runs: int) -> list[tuple[str, int, float, float, float]]:
    """(shape, services, median s, min s, median CPU s) of `richcompose config -q`, rounds
    interleaved. CPU (user + system of the child) shows the cost apart from the load."""
    cases = [(shape, count) for count in (1000, 5000) for shape in ("chain", "fan-in", "fan-out")]
    for shape, count in cases:
        (directory / f"{shape}-{count}.yaml").write_text(shape_text(shape, count))
    # Cold (no warm command server): the CPU counted is the command's own, start-up included.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "RICHCOMPOSE_WARM": "0"}
    times: dict[tuple[str, int], list[float]] = {case: [] for case in cases}
    cpus: dict[tuple[str, int], list[float]] = {case: [] for case in cases}
    for _ in range(runs):
        for shape, count in cases:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "richcompose", "-f",
                            str(directory / f"{shape}-{count}.yaml"), "config", "-q"],
                           check=True, env=env, cwd=directory)
            times[shape, count].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[shape, count].append(after.ru_utime - before.ru_utime
                                      + after.ru_stime - before.ru_stime)
    return [(shape, count, statistics.median(v), min(v), statistics.median(cpus[shape, count]))
            for (shape, count), v in times.items()]


def median_seconds(action, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median wall time and median CPU time of this process: on a shared, busy machine the
    wall time grows with the load average, the CPU time much less."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_text(project_text(args.services))
        options = LoadOptions(files=(path,), environ={}, working_dir=Path(tmp))
        project = load_project(options)
        assert len(project.services) == args.services
        parse = median_seconds(lambda: read_yaml_file(path), args.runs)
        load = median_seconds(lambda: load_project(options), args.runs)
        graph = median_seconds(lambda: start_order(build_graph(project)), args.runs)
        ext_path = Path(tmp) / "extends.yaml"
        ext_path.write_text(extends_text(args.services))
        ext_options = LoadOptions(files=(ext_path,), environ={}, working_dir=Path(tmp))
        extends = median_seconds(lambda: load_project(ext_options), args.runs)
        lines = path.read_text().count("\n")
        commands = config_command(Path(tmp), max(3, args.runs // 2))
    print(f"{args.services} services, {lines} lines, median of {args.runs} runs "
          f"(load average {os.getloadavg()[0]:.1f}):")
    for label, (wall, cpu) in (("parse only (libyaml + positions)", parse),
                               ("load + validate (all stages)", load),
                               ("dependency graph + start order", graph),
                               ("load, every service extends a base", extends)):
        print(f"  {label:34} {wall * 1000:7.1f} ms wall {cpu * 1000:7.1f} ms CPU")
    print(f"`richcompose config -q` incl. start-up, {max(3, args.runs // 2)} interleaved rounds "
          f"(load average {os.getloadavg()[0]:.1f}); targets: 1000 <= 1.0 s, 5000 <= 3.0 s")
    for shape, count, med, low, cpu in commands:
        target = 1.0 if count == 1000 else 3.0
        print(f"  {shape:8} {count:5} services  wall median {med:5.2f} s  min {low:5.2f} s  "
              f"CPU {cpu:5.2f} s ({cpu / count * 1e6:4.0f} us/service)  min/target "
              f"{low / target:4.2f}x  CPU/target {cpu / target:4.2f}x")


if __name__ == "__main__":
    main()
