"""initcmd / initscript / poststop under real runc: inside the container, on every start, with
the OCI state JSON on stdin; a failure stops the start and shows the script's stderr."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Richcompose, wait_log

pytestmark = pytest.mark.runc


def _script(rc: Richcompose, name: str, body: str, mode: int = 0o755) -> Path:
    folder = rc.project_dir / "scripts"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(body)
    path.chmod(mode)
    return path


def _compose(rc: Richcompose, extra: str, command: str = "sleep 300") -> None:
    rc.write(f"""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: {command}
            stop_grace_period: 1s
            volumes: ["./scripts:/scripts", "./out:/out"]
{extra}
    """)
    (rc.project_dir / "out").mkdir(exist_ok=True)
    (rc.project_dir / "scripts").mkdir(exist_ok=True)


def test_initscript_runs_inside_on_every_start_with_state_on_stdin(rc: Richcompose) -> None:
    _script(rc, "init.sh", "#!/bin/sh\ncat >> /out/states\necho >> /out/states\n"
                           "hostname >> /out/where\n")
    _compose(rc, "            initscript: /scripts/init.sh")
    rc("up", "-d")
    rc("stop")
    rc("up", "-d")
    states = [json.loads(line) for line in
              (rc.project_dir / "out" / "states").read_text().splitlines() if line.strip()]
    assert len(states) == 2
    assert all(s["id"].endswith("-app-1") and s["pid"] > 0 for s in states)
    # run inside the container: it saw the container's hostname, not the host's
    assert (rc.project_dir / "out" / "where").read_text().split() == ["app", "app"]
    rc("down", "-t", "1")


def test_initcmd_runs_before_initscript(rc: Richcompose) -> None:
    _script(rc, "init.sh", "#!/bin/sh\necho script >> /out/order\n")
    _compose(rc, "            initcmd: echo cmd >> /out/order\n"
                 "            initscript: /scripts/init.sh")
    rc("up", "-d")
    assert (rc.project_dir / "out" / "order").read_text().split() == ["cmd", "script"]
    rc("down", "-t", "1")


def test_failing_initscript_stops_the_start_with_its_stderr(rc: Richcompose) -> None:
    _script(rc, "init.sh", "#!/bin/sh\necho 'database unreachable' >&2\nexit 3\n")
    _compose(rc, "            initscript: /scripts/init.sh")
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "database unreachable" in up.stderr
    logs = rc("logs", "app").stdout
    assert "database unreachable" in logs and "exit status 3" in logs
    assert not (rc.project_dir / "out" / "ran").exists()
    rc("down")


def test_initscript_past_its_timeout_fails_the_start(rc: Richcompose) -> None:
    _script(rc, "init.sh", "#!/bin/sh\nsleep 30\n")
    _compose(rc, "            initscript: /scripts/init.sh\n            initscript_timeout: 1s")
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "timed out after 1s" in up.stderr
    rc("down")


@pytest.mark.parametrize(("body", "mode", "reason"), [
    (None, 0o755, "not found"),
    ("#!/bin/sh\ntrue\n", 0o644, "not an executable file"),
    ("#!/usr/bin/python3\nprint()\n", 0o755, "interpreter /usr/bin/python3 not found"),
])
def test_unusable_initscript_is_an_error_before_start(rc: Richcompose, body: str | None,
                                                      mode: int, reason: str) -> None:
    if body is not None:
        _script(rc, "init.sh", body, mode)
    _compose(rc, "            initscript: /scripts/init.sh")
    up = rc("up", "-d", check=False)
    assert up.returncode != 0
    assert "'app'" in up.stderr and "/scripts/init.sh" in up.stderr and reason in up.stderr
    assert "started" not in up.stderr
    rc("down")


def test_poststop_runs_on_the_host_after_the_container_is_gone(rc: Richcompose) -> None:
    _compose(rc, "            poststop: cat > poststop.json")
    rc("up", "-d")
    rc("down", "-t", "1")
    state = json.loads((rc.project_dir / "poststop.json").read_text())
    assert state["id"].endswith("-app-1")
    assert os.path.isabs(state["bundle"])


def test_initscript_output_reaches_the_logs(rc: Richcompose) -> None:
    _script(rc, "init.sh", "#!/bin/sh\necho preparing\n")
    _compose(rc, "            initscript: /scripts/init.sh")
    rc("up", "-d")
    wait_log(rc, "app", "preparing")
    rc("down", "-t", "1")
