"""A systemd container from nothing to `systemctl is-system-running` = running, three ways,
rounds interleaved (target: richcompose <= 1.3x raw runc):

  richcompose  `up -d` of a `rich: true, rich_mode: systemd` service (then `down -t 0`), with
               the warm command server and cold (RICHCOMPOSE_WARM=0)
  raw runc     the bundle `richcompose render` writes for that service, on an overlay of the
               same tree: `runc create` (console socket held here, as conmon holds it) +
               `runc start` (then kill, delete, umount)
  podman       `podman run -d --systemd=always` of the same tree imported as an image

Each side is polled the same way: `nsenter -t PID -a systemctl is-system-running` every 10 ms.
The tree is scripts/make-systemd-rootfs's (debootstrap, cached).

Run as root from the repository root:  python bench/systemd_boot.py [--runs 7] [--no-podman]
"""

from __future__ import annotations

import argparse
import array
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchlib import REPO, cold, rc_argv, rc_warm_env, stop_warm

COMPOSE = ("name: sdbench\nservices:\n  vm:\n    rootfs: ./rootfs\n    rich: true\n"
           "    rich_mode: systemd\n    network_mode: none\n    command: [sleep, infinity]\n")


def run(argv: list[str], **kwargs: object) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr[-1500:]}")
    return str(proc.stdout)


def wait_running(pid_of: object, label: str, deadline: float = 60.0) -> tuple[float, str]:
    """Seconds until systemd says running (or degraded: returned as the state)."""
    start = time.perf_counter()
    state = ""
    while time.perf_counter() - start < deadline:
        pid = pid_of()  # type: ignore[operator]
        if pid:
            state = subprocess.run(["nsenter", "-t", str(pid), "-a", "systemctl",
                                    "is-system-running"], capture_output=True,
                                   text=True).stdout.strip()
            if state in ("running", "degraded"):
                return time.perf_counter(), state
        time.sleep(0.01)
    raise SystemExit(f"{label}: systemd did not come up: {state!r}")


class Richcompose:
    def __init__(self, work: Path) -> None:
        self.dir = work / "rc"
        self.dir.mkdir()
        (self.dir / "rootfs").symlink_to(work / "rootfs")
        (self.dir / "compose.yaml").write_text(COMPOSE)
        self.root = work / "rc-state"
        self.argv = rc_argv(self.root)
        self.env = rc_warm_env(True)


    def pid(self) -> int:
        state = subprocess.run(["runc", "--root", str(self.root / "runc"), "state",
                                "sdbench-vm-1"], capture_output=True, text=True)
        return int(json.loads(state.stdout)["pid"]) if state.returncode == 0 else 0

    def __call__(self) -> tuple[float, str]:
        start = time.perf_counter()
        run([*self.argv, "up", "-d"], cwd=self.dir, env=self.env)
        end, state = wait_running(self.pid, "richcompose")
        run([*self.argv, "down", "-t", "0"], cwd=self.dir, env=self.env)
        return end - start, state

    def render(self, out: Path) -> Path:
        run([*self.argv, "render", "-o", str(out)], cwd=self.dir, env=self.env)
        return out / "sdbench-vm-1"


class ConsoleSocket:
    """What conmon does for a terminal container: receive the pty master from runc and keep
    reading it (systemd blocks on a full console otherwise)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.released = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def release(self) -> None:
        """The container is gone: its reader may stop."""
        self.released.set()

    def _serve(self) -> None:
        while True:
            conn, _ = self.server.accept()
            fds = array.array("i")
            _, ancdata, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
            for _level, _type, data in ancdata:
                fds.frombytes(data[:fds.itemsize])
            conn.close()
            self.released = threading.Event()
            threading.Thread(target=self._drain, args=(fds[0], self.released),
                             daemon=True).start()

    def _drain(self, fd: int, released: threading.Event) -> None:
        # EIO while no process holds the pty slave (before start, between boots): retry, as
        # conmon does.
        with open(self.path.with_name("console.log"), "ab") as log:
            while not released.is_set():
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    time.sleep(0.005)
                    continue
                if not data:
                    break
                log.write(data)
        os.close(fd)


class RawRunc:
    def __init__(self, work: Path, rendered: Path) -> None:
        self.dir = work / "raw"
        shutil.copytree(rendered, self.dir / "bundle", symlinks=True)
        self.bundle = self.dir / "bundle"
        spec = json.loads((self.bundle / "config.json").read_text())
        for mount in spec["mounts"]:  # the network files richcompose keeps: plain copies here
            if mount["destination"] in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname"):
                copy = self.dir / Path(mount["destination"]).name
                copy.write_text("127.0.0.1\tlocalhost\n" if copy.name == "hosts" else "vm\n")
                mount["source"] = str(copy)
        spec["linux"].pop("cgroupsPath", None)  # runc's default, removed by `runc delete`
        spec["linux"]["namespaces"] = [  # richcompose's netns for network_mode none: a new one
            {"type": "network"} if n["type"] == "network" else n
            for n in spec["linux"]["namespaces"]]
        (self.bundle / "config.json").write_text(json.dumps(spec))
        self.lower = work / "rootfs"
        self.root = self.dir / "runc"
        self.console = ConsoleSocket(self.dir / "console.sock")

    def pid(self) -> int:
        state = subprocess.run(["runc", "--root", str(self.root), "state", "vm"],
                               capture_output=True, text=True)
        return int(json.loads(state.stdout)["pid"]) if state.returncode == 0 else 0

    def cleanup(self) -> None:
        subprocess.run(["runc", "--root", str(self.root), "delete", "-f", "vm"],
                       capture_output=True)
        subprocess.run(["umount", str(self.bundle / "rootfs")], capture_output=True)

    def __call__(self) -> tuple[float, str]:
        for sub in ("upper", "work"):
            (self.dir / sub).mkdir()
        start = time.perf_counter()
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={self.lower},upperdir={self.dir}/upper,workdir={self.dir}/work",
             str(self.bundle / "rootfs")])
        runc = ["runc", "--root", str(self.root)]
        run([*runc, "create", "--bundle", str(self.bundle), "--console-socket",
             str(self.console.path), "vm"], stdin=subprocess.DEVNULL)
        run([*runc, "start", "vm"])
        end, state = wait_running(self.pid, "raw runc")
        run([*runc, "kill", "vm", "KILL"])
        while self.pid() and Path(f"/proc/{self.pid()}").exists():
            time.sleep(0.01)
        subprocess.run([*runc, "delete", "-f", "vm"], capture_output=True)
        self.console.release()
        run(["umount", str(self.bundle / "rootfs")])
        shutil.rmtree(self.dir / "upper")
        shutil.rmtree(self.dir / "work")
        return end - start, state


class Podman:
    def __init__(self, work: Path) -> None:
        self.work = work
        run([str(REPO / "bench/setup-podman.sh"), str(work / "podman")])
        self.env = {**os.environ, "CONTAINERS_CONF": str(work / "podman/containers.conf"),
                    "CONTAINERS_STORAGE_CONF": str(work / "podman/storage.conf")}
        tarball = work / "sd.tar"
        run(["tar", "-C", str(work / "rootfs"), "-cf", str(tarball), "."])
        run(["podman", "import", str(tarball), "localhost/sd:latest"], env=self.env)
        tarball.unlink()

    def pid(self) -> int:
        out = subprocess.run(["podman", "inspect", "-f", "{{.State.Pid}}", "sdbench"],
                             capture_output=True, text=True, env=self.env).stdout.strip()
        return int(out) if out.isdigit() else 0

    def __call__(self) -> tuple[float, str]:
        start = time.perf_counter()
        run(["podman", "run", "-d", "--name", "sdbench", "--network", "none",
             "--systemd=always", "localhost/sd:latest", "/lib/systemd/systemd"], env=self.env)
        pid = self.pid()
        end, state = wait_running(lambda: pid, "podman")
        run(["podman", "rm", "-f", "-t", "0", "sdbench"], env=self.env)
        return end - start, state

    def close(self) -> None:
        subprocess.run(["podman", "system", "reset", "-f"], env=self.env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-podman", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        work = Path(tmp)
        run([str(REPO / "scripts/make-systemd-rootfs"), str(work / "rootfs")])
        ours = Richcompose(work)
        raw = RawRunc(work, ours.render(work / "rendered"))
        sides: dict[str, object] = {"richcompose": ours, "richcompose cold": cold(ours),
                                    "raw runc": raw}
        podman = None if args.no_podman else Podman(work)
        if podman is not None:
            sides["podman --systemd"] = podman
        times: dict[str, list[float]] = {name: [] for name in sides}
        states: dict[str, set[str]] = {name: set() for name in sides}
        load = []
        try:
            for side in sides.values():
                side()  # type: ignore[operator]  # warm-up
            for _ in range(args.runs):
                load.append(os.getloadavg()[0])
                for name, side in sides.items():
                    took, state = side()  # type: ignore[operator]
                    times[name].append(took)
                    states[name].add(state)
        finally:
            subprocess.run([*ours.argv, "down", "-t", "0"], cwd=ours.dir, env=ours.env,
                           capture_output=True)
            stop_warm(ours.root)
            raw.cleanup()
            if podman is not None:
                podman.close()
    print(f"{args.runs} interleaved rounds, load average {min(load):.1f}-{max(load):.1f}; "
          "seconds from nothing to systemd running")
    for name, values in times.items():
        print(f"  {name:<17} median {statistics.median(values):5.2f}  min {min(values):5.2f}  "
              f"({', '.join(sorted(states[name]))})")
    for ours_name in ("richcompose", "richcompose cold"):
        ours_med = statistics.median(times[ours_name])
        for other in [n for n in times if not n.startswith("richcompose")]:
            med = statistics.median(times[other])
            print(f"  {ours_name} / {other}: {ours_med / med:.2f}x (min "
                  f"{min(times[ours_name]) / min(times[other]):.2f}x)"
                  + ("  target <= 1.3x" if other == "raw runc" else ""))


if __name__ == "__main__":
    main()
