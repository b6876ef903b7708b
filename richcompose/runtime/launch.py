"""Starting a container from its bundle and taking it down again; shared by the engine (first
start) and the monitor (every restart), so a restart is exactly a new start: conmon + `runc
create` + `runc start`, and the rich initcmd/initscript hooks run again."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from richcompose.runtime.conmon import ConmonLauncher, ContainerFiles
from richcompose.runtime.oci import OCIRuntime
from richcompose.state import ContainerPaths, ProjectPaths


def container_files(ppaths: ProjectPaths, cpaths: ContainerPaths) -> ContainerFiles:
    return ContainerFiles(bundle=cpaths.bundle, log=cpaths.log, exit_dir=ppaths.exits,
                          pidfile=cpaths.pidfile, conmon_pidfile=cpaths.conmon_pidfile,
                          socket_dir=cpaths.sockets)


def launch(runtime: OCIRuntime, ppaths: ProjectPaths, container_id: str, *,
           log_size_max: int = 0) -> int:
    """conmon runs `runc create` and stays as the container's parent; we `runc start` it.
    The log file is opened for append, so output of every run lands in one file."""
    cpaths = ppaths.container(container_id)
    launcher = ConmonLauncher(runtime.binary, runtime.root, log_size_max=log_size_max)
    pid = launcher.create(container_id, container_files(ppaths, cpaths))
    runtime.start(container_id)
    return pid


def discard(runtime: OCIRuntime, cpaths: ContainerPaths, container_id: str) -> None:
    """Kills (if needed) and deletes the runc container and waits for its conmon to go; the
    bundle and rootfs mount stay, so the container can be launched again."""
    state = runtime.state(container_id) if runtime.known(container_id) else None
    if state is not None:
        if state.status not in ("stopped", "created"):
            runtime.kill(container_id, "KILL", all_processes=True)
        runtime.delete(container_id, force=True)
    wait_conmon_exit(cpaths)


def wait_conmon_exit(cpaths: ContainerPaths, timeout: float = 5.0) -> None:
    """conmon exits shortly after its container; wait so nothing of ours outlives `down`."""
    try:
        pid = int(cpaths.conmon_pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_process(pid, "conmon"):
            return
        time.sleep(0.01)
    if is_process(pid, "conmon"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # our own conmon, by PID


def is_process(pid: int, comm: str) -> bool:
    """A live (not zombie) process of that name: the name is checked so a recycled PID is
    never mistaken for one of ours; a zombie counts as gone (this host's PID 1 reaps late)."""
    try:
        name, _, rest = Path(f"/proc/{pid}/stat").read_text().partition(" (")[2].rpartition(") ")
    except OSError:
        return False
    return name == comm and not rest.startswith("Z")

