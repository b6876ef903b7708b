"""Starting and stopping the per-project monitor process (richcompose.runtime.monitor)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from richcompose.childenv import child_env
from richcompose.runtime.procs import alive
from richcompose.state import ProjectPaths, StatePaths, read_json, write_json

_MARK = "richcompose.runtime.monitor"


def monitor_pid(ppaths: ProjectPaths) -> int | None:
    """The monitor's PID if it is alive; the command line is checked so a recycled PID is
    never taken for ours."""
    try:
        data = read_json(ppaths.monitor_pidfile)
    except Exception:
        return None
    if not data:
        return None
    pid = int(data.get("pid", 0))
    return pid if pid > 0 and _is_monitor(pid, ppaths) else None


def _is_monitor(pid: int, ppaths: ProjectPaths) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return _MARK.encode() in argv and os.fsencode(ppaths.dir) in argv


def ensure_monitor(paths: StatePaths, ppaths: ProjectPaths) -> None:
    """Starts the monitor unless one runs; called under the project lock (see monitor
    `_may_leave`), so a monitor that is leaving cannot race a new supervise entry."""
    if monitor_pid(ppaths) is not None:
        return
    ppaths.dir.mkdir(parents=True, exist_ok=True)
    # -S: no site-packages .pth hooks, ~5 MiB less RSS; the monitor needs only the standard
    # library and this package, which PYTHONPATH names.
    # Nothing else of the caller's environment (childenv.py): the monitor runs conmon and
    # runc, which get a fixed one anyway, and lives on after the CLI with whatever it holds.
    env = child_env(PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    with open(ppaths.monitor_log, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-m", _MARK, str(ppaths.dir), str(paths.runtime_root)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            close_fds=True, cwd="/", env=env)
    # Written here too, so a `down` right after `up` finds it before the child has started.
    write_json(ppaths.monitor_pidfile, {"pid": proc.pid, "started": time.time()})
    proc.returncode = 0  # detached: never waited for here; silences Popen's ResourceWarning


def stop_monitor(ppaths: ProjectPaths, timeout: float = 5.0) -> None:
    pid = monitor_pid(ppaths)
    if pid is None:
        ppaths.monitor_pidfile.unlink(missing_ok=True)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid, ppaths):
        time.sleep(0.01)
    if _alive(pid, ppaths):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # our monitor, by PID
    ppaths.monitor_pidfile.unlink(missing_ok=True)


def _alive(pid: int, ppaths: ProjectPaths) -> bool:
    # A child of this CLI that exited stays a zombie until reaped: reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    return alive(pid) and _is_monitor(pid, ppaths)
