"""portmap runs one at a time (its shared chains are made check-then-create: two at once fail
with "CHAIN_USER_ADD failed (File exists)"); other plugins of parallel attachments still overlap.
Fake plugins record when each run starts and ends."""

from __future__ import annotations

import threading
from pathlib import Path

from richcompose.network.cni import CniCall, CniRunner

FAKE = """#!/bin/sh
cat >/dev/null
echo "start $(date +%s.%N)" >> {log}
sleep 0.2
echo "end $(date +%s.%N)" >> {log}
echo '{{"cniVersion": "1.0.0"}}'
"""


def _plugins(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    cni = tmp_path / "cni"
    cni.mkdir()
    logs = {}
    for name in ("portmap", "bridge"):
        logs[name] = tmp_path / f"{name}.log"
        (cni / name).write_text(FAKE.format(log=logs[name]))
        (cni / name).chmod(0o755)
    return cni, logs


def _overlaps(log: Path) -> int:
    """How many runs started while another was still running."""
    running = overlaps = 0
    for line in log.read_text().splitlines():
        if line.startswith("start"):
            overlaps += running > 0
            running += 1
        else:
            running -= 1
    return overlaps


def _add_in_parallel(runner: CniRunner, plugin: str, count: int) -> None:
    conflist = {"cniVersion": "1.0.0", "name": f"net-{plugin}", "plugins": [{"type": plugin}]}

    def add(index: int) -> None:
        runner.add(conflist, CniCall(f"c{index}", Path("/nonexistent"), "eth0"), {})

    threads = [threading.Thread(target=add, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_portmap_runs_one_at_a_time_while_bridge_runs_in_parallel(tmp_path: Path) -> None:
    cni, logs = _plugins(tmp_path)
    runner = CniRunner(cni, tmp_path / "network" / "cni-cache")
    _add_in_parallel(runner, "portmap", 4)
    _add_in_parallel(runner, "bridge", 4)
    assert logs["portmap"].read_text().count("start") == 4
    assert _overlaps(logs["portmap"]) == 0
    assert _overlaps(logs["bridge"]) > 0
