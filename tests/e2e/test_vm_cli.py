"""Operators' habits and the VM's disk, on busybox (cheap): `exec -i/-t/-it/-ti` parse as in
docker; `-f -` reads the project from stdin; `container run` with PouchContainer's flags and
its rule that --rich-mode/--initscript need --rich; a rootfs service's disk survives a config
change, a changed rootfs refuses to recreate unless --force-recreate, which discards it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, Richcompose

pytestmark = pytest.mark.runc

APP = """
    services:
      app:
        rootfs: {rootfs}
        command: sleep 300
        stop_grace_period: 1s
        environment: {{ROUND: "{round}"}}
"""


def test_exec_takes_dockers_i_and_t_flags(rc: Richcompose) -> None:
    rc.write(APP.format(rootfs="./rootfs", round=1))
    rc("up", "-d")
    for flags in (["-i"], ["-t"], ["-it"], ["-ti"], ["-i", "-t"]):
        assert rc("exec", *flags, "app", "echo", "hi").stdout.strip() == "hi", flags
    rc("down", "-t", "1")


def test_dash_f_dash_reads_the_project_from_stdin(rc: Richcompose) -> None:
    text = textwrap.dedent(APP.format(rootfs="./rootfs", round=1))
    out = subprocess.run([sys.executable, "-m", "richcompose", "--root", str(rc.root), "-f", "-",
                          "config", "--services"], input=text, capture_output=True, text=True,
                         cwd=rc.project_dir, env={**os.environ, "PYTHONPATH": str(REPO)},
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["app"]


def test_container_run_takes_pouchs_flags_and_its_rich_rule(rc: Richcompose) -> None:
    (rc.project_dir / "init").mkdir()
    script = rc.project_dir / "init" / "x.sh"
    script.write_text("#!/bin/sh\necho initscript ran\n")
    script.chmod(0o755)
    refused = rc("container", "run", "-d", "--initscript", "/init/x.sh", "./rootfs", "true",
                 check=False)
    assert refused.returncode != 0 and "--initscript needs --rich" in refused.stderr
    refused = rc("container", "run", "-d", "--rich-mode", "systemd", "./rootfs", check=False)
    assert refused.returncode != 0 and "--rich-mode needs --rich" in refused.stderr
    out = rc("container", "run", "-d", "--name", "one", "--rich", "--rich-mode", "sbin-init",
             "--initscript", "/init/x.sh", "-v", "./init:/init", "./rootfs", "sleep", "300")
    assert out.stdout.strip() == "one-one-1"
    logs = rc("-p", "one", "logs", "one").stdout
    assert "initscript ran" in logs
    pid1 = rc("-p", "one", "exec", "-T", "one", "cat", "/proc/1/cmdline").stdout
    assert pid1.split("\0")[0].rsplit("/", 1)[-1] == "init"
    rc("-p", "one", "down", "-t", "1")


def test_a_rootfs_services_disk_survives_a_config_change_and_refuses_another_rootfs(
        rc: Richcompose) -> None:
    rc.write(APP.format(rootfs="./rootfs", round=1))
    rc("up", "-d")
    rc("exec", "-T", "app", "sh", "-c", "echo kept > /root/notes")
    rc.write(APP.format(rootfs="./rootfs", round=2))
    assert "recreating" in rc("up", "-d").stderr
    assert rc("exec", "-T", "app", "cat", "/root/notes").stdout.strip() == "kept"

    shutil.copytree(rc.project_dir / "rootfs", rc.project_dir / "rootfs2", symlinks=True)
    rc.write(APP.format(rootfs="./rootfs2", round=2))
    refused = rc("up", "-d", check=False)
    assert refused.returncode != 0
    assert "compose.yaml:4:" in refused.stderr and "not recreated" in refused.stderr
    assert "--force-recreate" in refused.stderr
    assert rc("exec", "-T", "app", "cat", "/root/notes").stdout.strip() == "kept"  # untouched

    forced = rc("up", "-d", "--force-recreate")
    assert "discards the disk" in forced.stderr
    assert rc("exec", "-T", "app", "cat", "/root/notes", check=False).stdout.strip() == ""
    rc("down", "-v", "-t", "1")


def test_a_busybox_vm_without_a_command_boots_its_inittab_and_up_waits_for_it(
        rc: Richcompose) -> None:
    rc.write("""
        services:
          vm: {rootfs: ./rootfs, rich: true, rich_mode: sbin-init, stop_grace_period: 5s}
    """)
    assert "booted (running)" in rc("up", "-d").stderr
    assert '"boot": "running"' in rc("ps", "--format", "json").stdout
    pid1 = rc("exec", "-T", "vm", "cat", "/proc/1/cmdline").stdout
    assert pid1.split("\0")[0].rsplit("/", 1)[-1] == "init"
    rc("down")
