"""Random fault injection over a 5-service project with health checks and restart policies:
SIGKILL of the CLI (mid up/down/restart), of the monitor, of a conmon, of a container's PID 1;
truncated or garbage state files; a stale namespace file. After each fault the next `ps` must
answer without a traceback and agree with runc (once restarts in flight settle); every few
faults `down` must leave nothing. Prints the counts: faults, tracebacks, lies, leftovers.

Run from the repository root, as root:  python bench/faults.py [--faults 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from richcompose.network import netns  # noqa: E402
from tests.conftest import force_cleanup, leftovers  # noqa: E402
from tests.network.sandbox import Sandbox  # noqa: E402

SLEEPER = """sh -c 'trap "exit 0" TERM; sleep 1000 & wait'"""
PROJECT = f"""
services:
  db:
    rootfs: ./rootfs
    restart: always
    command: {json.dumps(SLEEPER)}
    healthcheck: {{test: "true", interval: 300ms, start_interval: 100ms, start_period: 5s}}
  cache:
    rootfs: ./rootfs
    restart: on-failure
    command: {json.dumps(SLEEPER)}
  api:
    rootfs: ./rootfs
    restart: unless-stopped
    command: {json.dumps(SLEEPER)}
    depends_on: {{db: {{condition: service_healthy}}, cache: {{condition: service_started}}}}
    healthcheck: {{test: "true", interval: 300ms, start_interval: 100ms, start_period: 5s}}
  worker:
    rootfs: ./rootfs
    restart: always
    command: {json.dumps(SLEEPER)}
    depends_on: [api]
  web:
    rootfs: ./rootfs
    command: {json.dumps(SLEEPER)}
    depends_on: {{api: {{condition: service_healthy}}}}
"""
SERVICES = ["db", "cache", "api", "worker", "web"]


class Bench:
    def __init__(self, workdir: Path, rng: random.Random) -> None:
        self.root = workdir / "state"
        self.project = workdir / "project"
        self.project.mkdir()
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"),
                        str(self.project / "rootfs")], check=True, capture_output=True)
        (self.project / "compose.yaml").write_text(textwrap.dedent(PROJECT))
        self.rng = rng
        self.tracebacks: list[str] = []
        self.lies: list[str] = []
        self.leftovers: list[str] = []
        self.failed_commands: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "richcompose", "--root", str(self.root), *args]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), cwd=self.project, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        if "Traceback" in proc.stderr:
            self.tracebacks.append(f"{' '.join(args)}: {proc.stderr[-600:]}")
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]  # the error comes last
            self.failed_commands[f"{args[0]}: {last[:150]}"] += 1
        return proc

    @property
    def pdir(self) -> Path:
        return self.root / "projects" / "project"

    def cdir(self, service: str) -> Path:
        return self.pdir / "containers" / f"project-{service}-1"

    # --- faults --------------------------------------------------------------------------

    def inject(self) -> None:
        fault = self.rng.choice(["kill-cli", "kill-monitor", "kill-conmon", "kill-pid1",
                                 "truncate-record", "garbage-record", "garbage-supervise",
                                 "garbage-network", "stale-netns"])
        self.faults[fault] += 1
        service = self.rng.choice(SERVICES)
        # A target that is not there (e.g. already stopped) makes the fault a no-op.
        with contextlib.suppress(OSError, ValueError, KeyError):
            getattr(self, "_" + fault.replace("-", "_"))(service)

    def _kill_cli(self, service: str) -> None:
        verb = self.rng.choice([["up", "-d"], ["down", "-t", "1"], ["restart", "-t", "1"]])
        proc = subprocess.Popen(self.argv(*verb), cwd=self.project, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        time.sleep(self.rng.uniform(0.1, 2.0))
        proc.kill()  # our own CLI, by PID
        proc.wait()

    def _kill_monitor(self, service: str) -> None:
        os.kill(int(json.loads((self.pdir / "monitor.pid").read_text())["pid"]), signal.SIGKILL)

    def _kill_conmon(self, service: str) -> None:
        os.kill(int((self.cdir(service) / "conmon.pid").read_text()), signal.SIGKILL)

    def _kill_pid1(self, service: str) -> None:
        os.kill(int((self.cdir(service) / "container.pid").read_text()), signal.SIGKILL)

    def _truncate_record(self, service: str) -> None:
        path = self.cdir(service) / "container.json"
        path.write_bytes(path.read_bytes()[: self.rng.randrange(1, 40)])

    def _garbage_record(self, service: str) -> None:
        name = self.rng.choice(["container.json", "supervision.json"])
        (self.cdir(service) / name).write_bytes(os.urandom(200))

    def _garbage_supervise(self, service: str) -> None:
        path = self.pdir / self.rng.choice(["supervise", "health"]) / f"project-{service}-1.json"
        if path.exists():
            path.write_bytes(os.urandom(100))

    def _garbage_network(self, service: str) -> None:
        path = self.root / "network" / "state.json"
        if path.exists():
            path.write_bytes(path.read_bytes()[:50])

    def _stale_netns(self, service: str) -> None:
        path = netns.netns_path(netns.netns_name(f"project-{service}-9", netns.scope_of(self.root)))
        path.write_bytes(b"")

    # --- checks --------------------------------------------------------------------------

    def check_ps(self) -> None:
        proc = self.run("ps", "-a", "--format", "json")
        if proc.returncode != 0:
            return
        for _ in range(20):
            rows = json.loads(proc.stdout or "[]")
            wrong = [f"{r['container']}: ps {r['state']}, runc {self.runc_status(r['container'])}"
                     for r in rows if r["state"] != self.runc_status(r["container"])]
            if not wrong:
                return
            time.sleep(0.25)  # a restart may be in flight between the two looks
            proc = self.run("ps", "-a", "--format", "json")
        self.lies += wrong

    def runc_status(self, cid: str) -> str:
        proc = subprocess.run(["runc", "--root", str(self.root / "runc"), "state", cid],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return "missing"
        status = json.loads(proc.stdout)["status"]
        return "exited" if status == "stopped" else str(status)

    def down_and_check(self) -> None:
        proc = self.run("down", "-t", "1")
        if proc.returncode != 0:  # reported what it could not remove: a second try must finish
            self.run("down", "-t", "1")
        left = leftovers(self.root)
        if left:
            self.leftovers += left
            force_cleanup(self.root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=200)
    parser.add_argument("--per-cycle", type=int, default=4, help="faults between two downs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rc-faults-") as tmp, Sandbox():
        bench = Bench(Path(tmp), random.Random(args.seed))
        done = 0
        try:
            while done < args.faults:
                bench.run("up", "-d")
                for _ in range(min(args.per_cycle, args.faults - done)):
                    bench.inject()
                    done += 1
                    bench.check_ps()
                    if bench.rng.random() < 0.3:
                        bench.run("up", "-d")  # converge again, as a user would
                        bench.check_ps()
                bench.down_and_check()
                print(f"{done:4d} faults, {time.monotonic() - started:5.0f} s: "
                      f"{len(bench.tracebacks)} tracebacks, {len(bench.lies)} ps lies, "
                      f"{len(bench.leftovers)} leftovers", flush=True)
        except KeyboardInterrupt:
            print(f"interrupted after {done} faults", flush=True)
        finally:
            force_cleanup(bench.root)
    print(f"faults injected:    {done} in {time.monotonic() - started:.0f} s "
          f"({', '.join(f'{k} {v}' for k, v in sorted(bench.faults.items()))})")
    print(f"tracebacks:         {len(bench.tracebacks)}")
    print(f"ps disagreeing:     {len(bench.lies)}")
    print(f"leftovers by down:  {len(bench.leftovers)}")
    print(f"commands exiting non-zero with a one-line error: "
          f"{sum(bench.failed_commands.values())}")
    for line, count in bench.failed_commands.most_common(8):
        print(f"   {count:3d} x {line}")
    for item in (bench.tracebacks + bench.lies + bench.leftovers)[:10]:
        print("  ", item)
    return 1 if bench.tracebacks or bench.lies or bench.leftovers else 0


if __name__ == "__main__":
    raise SystemExit(main())
