"""A container whose conmon died has nobody to copy its output (PID 1 gets SIGPIPE on
stdout) or to record its exit code. Whoever notices first (the monitor, or the next command)
stops it and records an exit code, so `ps` tells the truth and the restart policy applies
through the exit file as for any other exit. Never left running headless."""

from __future__ import annotations

from richcompose.hostfs import safe_join
from richcompose.runtime.events import append_event
from richcompose.runtime.oci import OCIRuntime
from richcompose.runtime.procs import is_process
from richcompose.state import ContainerPaths, ProjectPaths

KILLED = 137  # 128 + SIGKILL: what we did to it
UNKNOWN = 255  # it exited with nobody to see the code (docker's convention)


def conmon_alive(cpaths: ContainerPaths) -> bool | None:
    """None when no conmon was started for it yet."""
    try:
        pid = int(cpaths.conmon_pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return is_process(pid, "conmon")


def reap_headless(runtime: OCIRuntime, ppaths: ProjectPaths, container_id: str,
                  service: str) -> int | None:
    """Stops a started container whose conmon is gone and writes its exit file; returns the
    exit code recorded, or None when there was nothing to do. Call under the container's
    lock, so a start in flight (a new conmon) is never mistaken for a dead one."""
    cpaths = ppaths.container(container_id)
    exit_file = safe_join(ppaths.exits, container_id)
    if exit_file.exists() or conmon_alive(cpaths) is not False:
        return None
    state = runtime.state(container_id) if runtime.known(container_id) else None
    if state is None or state.status == "created":
        return None  # never started (its conmon is needed to start it: the plan relaunches)
    code = UNKNOWN
    if state.status in ("running", "paused"):
        if state.status == "paused":
            runtime.resume(container_id)
        runtime.kill(container_id, "KILL", all_processes=True)
        code = KILLED
    ppaths.exits.mkdir(parents=True, exist_ok=True)
    exit_file.write_text(str(code))
    append_event(ppaths.events, "die", service, container_id, exitCode=code,
                 reason="its conmon died: stopped, never left running unsupervised")
    return code
