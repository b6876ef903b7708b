"""Damaged state files: truncated, empty or garbage records. The next `ps` reports each one
once (naming the file), still shows what runs, and `down` removes everything."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import Richcompose
from tests.faults.helpers import SLEEPER, container_dir, down_leaves_nothing, ps

pytestmark = pytest.mark.runc

PROJECT = f"""
    services:
      db:
        rootfs: ./rootfs
        command: {SLEEPER}
        restart: always
      app:
        rootfs: ./rootfs
        command: {SLEEPER}
        depends_on: [db]
"""

DAMAGE = {"truncated": b'{"id": "project-app-1", "serv', "empty": b"",
          "garbage": bytes(range(256)) * 4}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_container_record_is_reported_and_rebuilt(rc: Richcompose, kind: str) -> None:
    rc.write(PROJECT)
    rc("up", "-d")
    record = container_dir(rc, "app") / "container.json"
    record.write_bytes(DAMAGE[kind])
    view = rc("ps", check=False)
    assert view.returncode == 0 and "Traceback" not in view.stderr, view.stderr
    assert view.stderr.count(str(record)) == 1
    rows = ps(rc)
    assert rows["app"]["state"] == rows["db"]["state"] == "running"
    down_leaves_nothing(rc)


def test_up_recreates_a_container_whose_record_was_damaged(rc: Richcompose) -> None:
    rc.write(PROJECT)
    rc("up", "-d")
    (container_dir(rc, "app") / "container.json").write_bytes(DAMAGE["garbage"])
    up = rc("up", "-d")
    assert "recreating project-app-1" in up.stderr
    assert ps(rc)["app"]["state"] == "running"
    down_leaves_nothing(rc)


@pytest.mark.parametrize("name", ["supervision.json", "supervise", "health"])
def test_damaged_supervision_files_do_not_block_ps_or_down(rc: Richcompose, name: str) -> None:
    rc.write(PROJECT.replace("restart: always", "restart: always\n"
                             "        healthcheck: {test: 'true', interval: 200ms}"))
    rc("up", "-d")
    project = rc.root / "projects" / "project"
    path = {"supervision.json": container_dir(rc, "db") / "supervision.json",
            "supervise": project / "supervise" / "project-db-1",
            "health": project / "health" / "project-db-1.json"}[name]
    path.write_bytes(DAMAGE["garbage"])
    view = rc("ps", check=False)
    assert view.returncode == 0 and "Traceback" not in view.stderr, view.stderr
    assert ps(rc)["db"]["state"] == "running"
    down_leaves_nothing(rc)


def test_a_damaged_network_state_file_is_set_aside_and_down_is_complete(
        rc: Richcompose) -> None:
    rc.write(PROJECT)
    rc("up", "-d")
    state = rc.root / "network" / "state.json"
    state.write_bytes(DAMAGE["truncated"])
    down = rc("down", "-t", "1", check=False)
    assert "Traceback" not in down.stderr and str(state) in down.stderr, down.stderr
    assert (rc.root / "network" / "state.json.damaged").exists()
    down_leaves_nothing(rc)


def test_after_a_lost_network_state_file_up_keeps_the_subnet_and_down_removes_the_network(
        rc: Richcompose) -> None:
    rc.write(PROJECT)
    rc("up", "-d")
    before = json.loads((rc.root / "network" / "state.json").read_text())
    (subnet,) = [n["subnet"] for n in before["networks"].values()]
    (rc.root / "network" / "state.json").unlink()
    rc("up", "-d", "--force-recreate")  # attaches again on the network it made before
    after = json.loads((rc.root / "network" / "state.json").read_text())
    assert [n["subnet"] for n in after["networks"].values()] == [subnet]
    assert ps(rc)["db"]["state"] == "running"
    down_leaves_nothing(rc)  # bridge, rules and conflist included
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True,
                           check=True).stdout
    assert "rcbr" not in links


def test_up_restores_a_kept_containers_damaged_supervision_so_health_gates_still_work(
        rc: Richcompose) -> None:
    rc.write(PROJECT.replace("        restart: always\n",
                             "        restart: always\n"
                             "        healthcheck: {test: 'true', interval: 200ms}\n")
             .replace("depends_on: [db]", "depends_on: {db: {condition: service_healthy}}"))
    rc("up", "-d", "--wait")
    (container_dir(rc, "db") / "supervision.json").write_bytes(DAMAGE["garbage"])
    rc("stop", "app")
    again = rc("up", "-d", "--wait", check=False)  # db is kept; app waits for its health
    assert again.returncode == 0 and "no healthcheck" not in again.stderr, again.stderr
    assert ps(rc)["db"]["health"] == "healthy" and ps(rc)["app"]["state"] == "running"
    down_leaves_nothing(rc)
