"""The verbs around a running project: ps, logs, exec, run, start/stop/restart, kill,
pause/unpause, top, wait, inspect, ls, events — and foreground `up`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import Richcompose
from tests.engine.helpers import SLEEPER, events, eventually, ps

pytestmark = pytest.mark.runc

TWO = f"""
    services:
      db: {{rootfs: ./rootfs, command: {SLEEPER}}}
      app:
        rootfs: ./rootfs
        rich: true
        initcmd: "echo init >> /tmp/inits"
        command: sh -c 'echo one; echo two; echo three; exec sleep 300'
        depends_on: [db]
"""


def test_ps_lists_running_by_default_all_with_a_and_ids_with_q(rc: Richcompose) -> None:
    rc.write(TWO + "      job: {rootfs: ./rootfs, command: 'true'}\n")
    rc("up", "-d")
    eventually(lambda: ps(rc)["job"]["exit_code"] == 0, what="job to exit")
    running = json.loads(rc("ps", "--format", "json").stdout)
    assert {row["service"] for row in running} == {"db", "app"}
    assert set(rc("ps", "-a", "-q").stdout.split()) == {
        "project-db-1", "project-app-1", "project-job-1"}
    assert "HEALTH" in rc("ps").stdout
    rc("down")


def test_logs_tail_prefix_timestamps_and_since(rc: Richcompose) -> None:
    rc.write(TWO)
    rc("up", "-d")
    eventually(lambda: "three" in rc("logs", "app").stdout, what="app output")
    assert rc("logs", "--tail", "1", "--no-log-prefix", "app").stdout == "three\n"
    stamped = rc("logs", "-t", "app").stdout.splitlines()[0]
    assert stamped.startswith("app") and "T" in stamped.split()[2]
    assert rc("logs", "--since", "1h", "app").stdout.count("\n") == 3
    assert rc("logs", "--since", "2999-01-01T00:00:00Z", "app").stdout == ""
    rc("down")


def test_exec_env_workdir_user_and_detach(rc: Richcompose) -> None:
    rc.write(TWO)
    rc("up", "-d")
    out = rc("exec", "-T", "-e", "X=42", "-w", "/etc", "-u", "65534", "app",
             "sh", "-c", "echo $X $(pwd) $(id -u)").stdout
    assert out.split() == ["42", "/etc", "65534"]
    rc("exec", "-d", "app", "sh", "-c", "echo bg > /tmp/bg")
    eventually(lambda: rc("exec", "-T", "app", "cat", "/tmp/bg", check=False).stdout == "bg\n",
               what="detached exec")
    rc("down")


def test_run_rm_prints_output_returns_its_code_and_leaves_no_container(rc: Richcompose) -> None:
    rc.write(TWO)
    run = rc("run", "--rm", "app", "sh", "-c", "echo from-run; exit 5", check=False)
    assert run.returncode == 5 and "from-run" in run.stdout
    assert set(ps(rc)) == {"db"}  # the dependency was started, the one-off is gone
    rc("down")


def test_stop_then_start_is_a_new_start_that_reruns_the_initcmd(rc: Richcompose) -> None:
    rc.write(TWO)
    rc("up", "-d")
    rc("stop", "-t", "1", "app")
    assert ps(rc)["app"]["state"] == "exited" and ps(rc)["db"]["state"] == "running"
    rc("start", "app")
    assert rc("exec", "-T", "app", "cat", "/tmp/inits").stdout == "init\ninit\n"
    rc("restart", "-t", "1", "app")
    assert rc("exec", "-T", "app", "cat", "/tmp/inits").stdout.count("init") == 3
    rc("down")


def test_kill_pause_unpause_top_wait(rc: Richcompose) -> None:
    rc.write(TWO)
    rc("up", "-d")
    rc("pause", "db")
    assert ps(rc)["db"]["state"] == "paused"
    rc("unpause", "db")
    assert ps(rc)["db"]["state"] == "running"
    assert "sleep 300" in rc("top", "app").stdout
    rc("kill", "app")
    assert rc("wait", "app", check=False).stdout.strip() == "137"
    rc("kill", "-s", "TERM", "db")
    waited = rc("wait", "db", check=False)
    assert waited.returncode == 0 and waited.stdout.strip() == "0"
    rc("down")


def test_inspect_ls_and_events(rc: Richcompose) -> None:
    rc.write(TWO)
    rc("up", "-d")
    info = json.loads(rc("inspect", "app").stdout)[0]
    assert info["State"]["Status"] == "running" and info["DependsOn"] == ["db"]
    assert info["RestartPolicy"] == "no" and info["LogPath"].endswith("container.log")
    listed = json.loads(rc("ls", "--format", "json").stdout)
    assert listed == [{"Name": "project", "Status": "running(2)",
                       "ConfigFiles": str(rc.project_dir)}]
    rc("stop", "-t", "1")
    actions = [(e["action"], e["service"]) for e in events(rc)]
    assert actions.index(("start", "db")) < actions.index(("start", "app"))
    assert ("stop", "app") in actions
    rc("down")


def _foreground(rc: Richcompose, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "richcompose", "--root", str(rc.root), "up",
                             *args], cwd=rc.project_dir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def test_foreground_up_prefixes_logs_and_returns_the_exit_code_from(rc: Richcompose) -> None:
    rc.write(f"""
        services:
          db: {{rootfs: ./rootfs, command: {SLEEPER}}}
          job: {{rootfs: ./rootfs, command: sh -c 'sleep 0.5; echo job-done; exit 3'}}
    """)
    up = _foreground(rc, "--exit-code-from", "job")
    out, err = up.communicate(timeout=60)
    assert up.returncode == 3
    assert any(line.startswith("job") and line.endswith("| job-done")
               for line in out.splitlines())
    assert ps(rc)["db"]["state"] == "exited"  # aborting stopped the others
    rc("down")


def test_foreground_up_abort_on_failure_ignores_a_clean_exit(rc: Richcompose) -> None:
    rc.write(f"""
        services:
          db: {{rootfs: ./rootfs, command: {SLEEPER}}}
          fine: {{rootfs: ./rootfs, command: 'true'}}
          bad: {{rootfs: ./rootfs, command: sh -c 'sleep 1; exit 2'}}
    """)
    up = _foreground(rc, "--abort-on-container-failure")
    up.communicate(timeout=60)
    assert up.returncode == 2
    rc("down")


def test_foreground_up_stops_gracefully_on_ctrl_c(rc: Richcompose) -> None:
    rc.write(TWO)
    up = _foreground(rc, "-t", "1")
    eventually(lambda: ps(rc).get("app", {}).get("state") == "running", what="app running")
    time.sleep(0.3)
    up.send_signal(signal.SIGINT)
    _, err = up.communicate(timeout=60)
    assert "Gracefully stopping" in err and up.returncode == 130
    assert {row["state"] for row in ps(rc).values()} == {"exited"}
    rc("down")



def test_second_ctrl_c_kills_instead_of_waiting_the_grace_period(rc: Richcompose) -> None:
    rc.write("""
        services:
          stubborn: {rootfs: ./rootfs, command: sleep 300, stop_grace_period: 60s}
    """)
    up = _foreground(rc)
    eventually(lambda: ps(rc).get("stubborn", {}).get("state") == "running", what="running")
    start = time.monotonic()
    up.send_signal(signal.SIGINT)
    time.sleep(1.0)  # the graceful stop is under way: sleep as PID 1 ignores SIGTERM
    up.send_signal(signal.SIGINT)
    _, err = up.communicate(timeout=30)
    assert "Gracefully stopping" in err and "Killing" in err
    assert time.monotonic() - start < 20
    eventually(lambda: ps(rc)["stubborn"]["exit_code"] == 137, what="SIGKILL exit")
    rc("down")
