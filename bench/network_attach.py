"""Prints what attaching and detaching a container costs (CNI loopback + bridge + portmap).

Runs itself inside a private network namespace (`nsenter --net`), like the tests:
    python3 bench/network_attach.py [N]
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def inner(count: int) -> None:
    from richcompose.network import Endpoint, NetworkManager

    with tempfile.TemporaryDirectory() as state:
        manager = NetworkManager(Path(state))
        timings: dict[str, list[float]] = {"netns": [], "attach": [], "attach+port": [],
                                           "detach": []}
        t0 = time.perf_counter()
        manager.ensure_network("bench", "default")
        ensure = time.perf_counter() - t0
        for i in range(count):
            cid = f"{i:04d}" + "b" * 12
            t0 = time.perf_counter()
            path = manager.create_netns("bench", cid)
            t1 = time.perf_counter()
            published = [f"{20000 + i}:80"] if i % 2 else []
            manager.attach("bench", cid, f"svc{i}", path, {"default": Endpoint()}, published)
            t2 = time.perf_counter()
            timings["netns"].append(t1 - t0)
            timings["attach+port" if published else "attach"].append(t2 - t1)
        for i in range(count):
            t0 = time.perf_counter()
            manager.detach("bench", f"{i:04d}" + "b" * 12)
            timings["detach"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        manager.cleanup_project("bench")
        cleanup = time.perf_counter() - t0
    print(f"ensure_network: {ensure * 1000:.1f} ms; cleanup_project: {cleanup * 1000:.1f} ms")
    for name, values in timings.items():
        if values:
            print(f"{name}: median {statistics.median(values) * 1000:.1f} ms over {len(values)}")


def main() -> None:
    count = int(sys.argv[2] if sys.argv[1:2] == ["--inner"] else (sys.argv[1:] or ["10"])[0])
    if sys.argv[1:2] == ["--inner"]:
        inner(count)
        return
    name = f"rcbench-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        subprocess.run(["nsenter", f"--net=/run/netns/{name}", sys.executable, __file__,
                        "--inner", str(count)], env=env, check=True)
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


if __name__ == "__main__":
    main()
