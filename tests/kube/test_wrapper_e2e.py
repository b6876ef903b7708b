"""The generated wrapper entrypoint, run under real runc as a kubelet would start the pod's
container: initcmd, then initscript (with the synthesised OCI state JSON on stdin), then the
system services, then the command, on every container start; the container's exit status is
the command's, or the failing hook's (and then the command does not run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kube.conftest import find, load_snippet, objects
from tests.kube.podrun import POD_NAME, PodRun

pytestmark = pytest.mark.runc

INIT_SCRIPT = """#!/bin/sh
state=$(cat)
echo "initscript $state" >> /data/order
echo "initscript warns" >&2
[ -e /data/fail ] && exit 3
exit 0
"""


@pytest.fixture
def pod(tmp_path: Path, busybox_rootfs: Path) -> PodRun:
    (tmp_path / "init.sh").write_text(INIT_SCRIPT)
    project = load_snippet(tmp_path, """
        services:
          app:
            image: busybox:1.36
            rich: true
            initcmd: echo initcmd >> /data/order; echo start >> /data/starts
            initscript: /scripts/init.sh
            configs: [{source: init, target: /scripts/init.sh, mode: 0755}]
            volumes: [/data]
            system_services:
              side:
                command: sh -c 'echo side >> /data/order; touch /tmp/side.ready; exec sleep 300'
                ready: {file: /tmp/side.ready, timeout: 10s}
            command: sh -c 'echo command >> /data/order; exit 7'
        configs:
          init: {file: ./init.sh}
    """)
    objs = objects(project)
    work = tmp_path / "pod"
    work.mkdir()
    return PodRun(work, objs, find(objs, "Job", "app"), busybox_rootfs)


def _order(pod: PodRun) -> list[str]:
    return (pod.workdir / "volumes" / "anon-0" / "order").read_text().splitlines()


def test_hooks_run_in_order_before_the_system_services_and_the_command(
        pod: PodRun, tmp_path: Path) -> None:
    code, log = pod.start(tmp_path / "runc")
    assert code == 7, log
    order = _order(pod)
    assert [line.split()[0] for line in order] == ["initcmd", "initscript", "side", "command"]
    state = json.loads(order[1].removeprefix("initscript "))
    assert state["ociVersion"] == "1.0.2" and state["status"] == "created"
    assert state["id"] == f"{POD_NAME}.app" and state["pid"] == 1
    assert state["annotations"]["org.richcompose.service"] == "app"
    assert "initscript: initscript warns" in log


def test_hooks_run_again_on_every_container_start(pod: PodRun, tmp_path: Path) -> None:
    for _ in range(2):
        code, log = pod.start(tmp_path / "runc")
        assert code == 7, log
    starts = (pod.workdir / "volumes" / "anon-0" / "starts").read_text().splitlines()
    assert len(starts) == 2
    assert [line.split()[0] for line in _order(pod)] == \
        ["initcmd", "initscript", "side", "command"] * 2


def test_a_failing_initscript_ends_the_start_with_its_status_before_the_command(
        pod: PodRun, tmp_path: Path) -> None:
    pod.start(tmp_path / "runc")
    (pod.workdir / "volumes" / "anon-0" / "fail").write_text("")
    code, log = pod.start(tmp_path / "runc")
    assert code == 3
    assert [line.split()[0] for line in _order(pod)][4:] == ["initcmd", "initscript"]
    assert "richcompose: initscript failed with exit status 3" in log
