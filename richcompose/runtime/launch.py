"""Starting a container from its bundle and taking it down again; shared by the engine (first
start) and the monitor (every restart), so a restart is exactly a new start: conmon + `runc
create` + `runc start`, and the rich initcmd/initscript hooks run again."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from richcompose.bundle.launchplan import read_launch_plan
from richcompose.errors import RuntimeFailure
from richcompose.hostfs import open_dir, read_regular
from richcompose.logs import read_lines
from richcompose.runtime import boot
from richcompose.runtime.conmon import ConmonLauncher, ContainerFiles
from richcompose.runtime.oci import OCIRuntime
from richcompose.runtime.procs import alive, is_process
from richcompose.state import ContainerPaths, ProjectPaths

HOOK_OUTPUT_CAP = 1 << 20  # hook output relayed per start; the rest is dropped, and said so


def container_files(ppaths: ProjectPaths, cpaths: ContainerPaths) -> ContainerFiles:
    return ContainerFiles(bundle=cpaths.bundle, log=cpaths.log, exit_dir=ppaths.exits,
                          pidfile=cpaths.pidfile, conmon_pidfile=cpaths.conmon_pidfile,
                          socket_dir=cpaths.sockets)


def launch(runtime: OCIRuntime, ppaths: ProjectPaths, container_id: str, *,
           log_size_max: int = 0, service: str = "",
           on_boot: Callable[[boot.BootState], None] | None = None) -> int:
    """A new start of the container from its bundle: `create` then `start`, so a restart by
    the monitor does exactly what the first start did, and the rich init hooks run again.
    With `on_boot`, a VM (bundle/vm.py) is waited for until it has booted."""
    pid = create(runtime, ppaths, container_id, log_size_max=log_size_max)
    start(runtime, ppaths, container_id, pid, service=service, on_boot=on_boot)
    return pid


def create(runtime: OCIRuntime, ppaths: ProjectPaths, container_id: str, *,
           log_size_max: int = 0) -> int:
    """conmon runs `runc create` and stays as the container's parent; returns PID 1's PID.
    The log file is opened for append, so output of every run lands in one file."""
    cpaths = ppaths.container(container_id)
    plan = read_launch_plan(cpaths.bundle)
    (cpaths.bundle / plan.run_dir / plan.ready_marker).unlink(missing_ok=True)  # never follows
    boot.clear_markers(cpaths.bundle)
    launcher = ConmonLauncher(runtime.binary, runtime.root, log_size_max=log_size_max)
    return launcher.create(container_id, container_files(ppaths, cpaths),
                           terminal=plan.terminal)


def start(runtime: OCIRuntime, ppaths: ProjectPaths, container_id: str, pid: int, *,
          service: str = "", on_boot: Callable[[boot.BootState], None] | None = None) -> None:
    """`runc start` a created container, then wait past what its launch plan says the start
    needs (startContainer hooks, the launcher's readiness marker, with `on_boot` a VM's boot)."""
    cpaths = ppaths.container(container_id)
    plan = read_launch_plan(cpaths.bundle)
    run_dir = cpaths.bundle / plan.run_dir
    runtime.start(container_id)
    name = service or container_id
    if plan.start_hooks:
        _wait_past_start_hooks(name, pid, cpaths.log)
        _relay_hook_output(run_dir / plan.hook_output, cpaths.log)
    if plan.readiness_timeout is not None:
        _wait_for_system_services(name, pid, run_dir / plan.ready_marker, cpaths.log,
                                  plan.readiness_timeout + 5)
    if plan.boot_kind is not None and on_boot is not None:
        seconds = plan.boot_timeout
        state = boot.wait_booted(runtime, container_id, plan.boot_kind, cpaths.bundle,
                                 alive=lambda: alive(pid), timeout=seconds)
        if not state.booted and alive(pid) and state.state not in ("maintenance", "stopping"):
            raise RuntimeFailure(f"service {name!r} did not finish booting within {seconds:g}s "
                                 f"(state: {state.state}); it is still running",
                                 hint=f"see `richcompose logs {name}` and `richcompose exec "
                                      f"{name} systemctl list-jobs`")
        on_boot(state if alive(pid) else boot.BootState("exited"))


def _relay_hook_output(path: Path, log: Path) -> None:
    """Hook output that could not reach PID 1's stdout (see run-hook) joins the log now, in
    conmon's k8s-file format; conmon appends too, so whole lines never interleave.

    The container can write the run dir (even as uid 65534): the file is read only if it is a
    regular file reached without following a link, and no more than HOOK_OUTPUT_CAP bytes,
    so a link to a host file or to /dev/zero gives nothing."""
    try:
        folder = open_dir(path.parent)
    except FileNotFoundError:
        return
    try:
        data = read_regular(folder, path.name, HOOK_OUTPUT_CAP + 1)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path.name, dir_fd=folder)
    finally:
        os.close(folder)
    if not data:
        return
    text = data[:HOOK_OUTPUT_CAP].decode(errors="replace")
    lines = text.splitlines()
    if len(data) > HOOK_OUTPUT_CAP:
        lines.append(f"richcompose: hook output cut at {HOOK_OUTPUT_CAP} bytes")
    now = time.time()  # RFC 3339 in UTC, as conmon writes it (time, not datetime: monitor RSS)
    stamp = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
             + f".{int(now % 1 * 1_000_000):06d}+00:00")
    with open(log, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(f"{stamp} stdout F {line}\n")


def _wait_for_system_services(service: str, pid: int, marker: Path, log: Path,
                              timeout: float) -> None:
    """The launcher drops `marker` once every system service is ready; if PID 1 goes first,
    a system service failed and its reason is in the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.lexists(marker):  # its presence is all that counts: never followed
            return
        if not alive(pid):
            break
        time.sleep(0.02)
    time.sleep(0.1)  # conmon copies the launcher's last words a moment after the exit
    # The readiness probe says why (not ready, exited), the launcher which service failed.
    reasons = [entry.text for entry in read_lines(log)
               if "system service" in entry.text and "starting system service" not in entry.text]
    detail = "; ".join(reasons[-2:]) if reasons else "its system services were not ready in time"
    raise RuntimeFailure(f"service {service!r} failed to start: {detail}",
                         hint="see `richcompose logs " + service + "`")


def _wait_past_start_hooks(service: str, pid: int, log: Path, timeout: float = 3600) -> None:
    """startContainer hooks (initcmd, initscript, system services) run after `runc start`
    returns, in runc init before it execs PID 1: wait for that exec, and turn a hook failure
    (the container is gone and runc logged a hook error) into the error of this start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            break  # exited before its exec
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            break
        # An empty cmdline is the instant inside execve before the new arguments are set.
        if cmdline and cmdline != b"runc\0init\0":
            return
        time.sleep(0.01)
    detail = ""
    settle = time.monotonic() + 2  # conmon copies runc's last words a moment after the exit
    while not detail and time.monotonic() < settle:
        lines = [entry.text for entry in read_lines(log)]
        starts = [i for i, line in enumerate(lines) if "error running hook" in line]
        if starts:  # runc's message, then the rest of the hook's stderr on the lines after it
            detail = "; ".join(line for line in lines[starts[-1]:] if line.strip())
        time.sleep(0.05)
    if detail:  # else PID 1 ran and exited quickly, which is not a failed start
        raise RuntimeFailure(f"service {service!r} failed to start: {detail}",
                             hint="see `richcompose logs " + service + "`")


def discard(runtime: OCIRuntime, cpaths: ContainerPaths, container_id: str, *,
            stopped: bool = False) -> None:
    """Kills (if needed) and deletes the runc container and waits for its conmon to go; the
    bundle and rootfs mount stay, so the container can be launched again. `stopped`: the
    caller saw it stop, so a plain `runc delete` does (no state call, no `--force`)."""
    if stopped and runtime.known(container_id):
        try:
            runtime.delete(container_id)
            wait_conmon_exit(cpaths)
            return
        except RuntimeFailure:
            pass  # something restarted it meanwhile: the careful path below
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
