"""The effects on one container, as the executor applies them: create (container setups, bundle,
root filesystem, conmon + `runc create`), start, relaunch, stop, remove. Removal is idempotent,
so `down` after a crash can call it for half-made containers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from richcompose.bundle.filerefs import file_ref_mounts
from richcompose.bundle.lifecycle import HookCommand, read_hook_commands, write_hook_commands
from richcompose.engine import disk
from richcompose.engine.filerefs import write_file_refs
from richcompose.errors import RichComposeError, StateError
from richcompose.hostfs import safe_join
from richcompose.runtime import launch as launching
from richcompose.runtime import supervised
from richcompose.runtime.events import append_event
from richcompose.runtime.launch import discard
from richcompose.runtime.lifecycle import run_hooks
from richcompose.runtime.mounts import mount_overlay, unmount
from richcompose.runtime.procs import is_process
from richcompose.runtime.supervised import Supervised
from richcompose.signals import signal_name
from richcompose.state import ProjectPaths, StatePaths, file_lock, write_json

if TYPE_CHECKING:
    from richcompose.bundle.render import Bundle
    from richcompose.bundle.spec import SpecOption
    from richcompose.config.models import Project
    from richcompose.container_setup import ContainerSetup, Contribution
    from richcompose.engine.plan import Instance
    from richcompose.engine.records import ContainerRecord
    from richcompose.engine.waiting import Notifier
    from richcompose.image.types import ResolvedImage
    from richcompose.runtime.boot import BootState
    from richcompose.runtime.oci import OCIRuntime

KILL_WAIT = 10.0
Reporter = Callable[[str, str], None]  # (service, message)


@dataclass(frozen=True)
class Rendered:
    """One instance as the project wants it, rendered once: `bundle` is what was hashed into
    `record.config_hash`; what the container setups make is added to it as spec options."""

    project: Project
    instance: Instance
    image: ResolvedImage
    bundle: Bundle
    record: ContainerRecord
    supervision: Supervised
    lifecycle: tuple[HookCommand, ...] = ()  # post_start and pre_stop, run by exec

    @property
    def container_id(self) -> str:
        return self.record.id


class Containers:
    def __init__(self, paths: StatePaths, runtime: Callable[[str | None], OCIRuntime],
                 setups: Sequence[ContainerSetup], report: Reporter,
                 keep_monitor: Callable[[str], None]) -> None:
        self.paths = paths
        self.runtime = runtime
        self.setups = setups
        self.report = report
        self.keep_monitor = keep_monitor

    def exists(self, project_name: str, container_id: str, runtime_name: str) -> bool:
        """Anything left of a container by that id (a record, a bundle, runc state)."""
        cpaths = self.paths.project(project_name).container(container_id)
        return cpaths.dir.exists() or self.runtime(runtime_name).known(container_id)

    # --- create and start ----------------------------------------------------------------

    def create(self, rendered: Rendered) -> int:
        """Everything up to `runc create`; returns PID 1's PID. The record is written first,
        so `down` finds whatever follows."""
        # The bundle code (and the models it needs) loads here: stop and down never create.
        from richcompose.bundle.render import write_bundle

        record, cid = rendered.record, rendered.container_id
        ppaths = self.paths.project(record.project)
        cpaths = ppaths.container(cid)
        write_json(cpaths.record, asdict(record))
        made = [setup.prepare(rendered.project, record.service, cid, cpaths)
                for setup in self.setups]
        bundle = rendered.bundle.with_options(spec_options(made))
        write_file_refs(file_ref_mounts(rendered.project, record.service), cpaths.files)
        self._prepare_volumes(bundle, record.project)
        if record.disk:  # a VM's disk, kept beside the container (engine/disk.py)
            where = disk.DiskPaths(Path(record.disk))
            disk.write_base(where, record.disk_base, rendered.image.reference)
            mount_overlay(rendered.image.layers, where.upper, where.work, cpaths.rootfs)
        else:
            mount_overlay(rendered.image.layers, cpaths.upper, cpaths.work, cpaths.rootfs)
        write_bundle(bundle, cpaths.bundle)
        write_hook_commands(cpaths.dir, rendered.lifecycle)
        supervised.store(ppaths, rendered.supervision)
        supervised.health_path(ppaths, cid).unlink(missing_ok=True)
        append_event(ppaths.events, "create", record.service, cid)
        return launching.create(self.runtime(record.runtime), ppaths, cid,
                                log_size_max=rendered.supervision.log_size_max)

    def start(self, record: ContainerRecord, entry: Supervised, pid: int) -> None:
        """`runc start` of a created container, then supervision."""
        ppaths = self.paths.project(record.project)
        launching.start(self.runtime(record.runtime), ppaths, record.id, pid,
                        service=record.service, on_boot=self._boot_reporter(record.service))
        self._started(record, entry)

    def _boot_reporter(self, service: str) -> Callable[[BootState], None]:
        """A VM's start waits for its boot (runtime/boot.py); failed units are reported, not
        fatal."""
        def report(state: BootState) -> None:
            if state.failed:
                self.report(service, f"warning: booted {state.describe()}; see `richcompose "
                                     f"exec {service} systemctl --failed`")
            else:
                self.report(service, f"booted ({state.state})")
        return report

    def keep(self, want: Rendered) -> None:
        """A kept container is supervised as rendered: a supervision record that was lost or
        damaged (rebuilt without its health check or restart policy) is written again from the
        rendered settings, keeping the restart count and start time it had. Without this a
        dependent's `service_healthy` gate found "no healthcheck" after such damage."""
        ppaths = self.paths.project(want.record.project)
        try:
            entry = supervised.load(ppaths, want.container_id)
        except StateError:
            entry = None
        wanted = want.supervision
        settings = ("restart", "health", "log_size_max", "reboots")
        if entry is not None and all(getattr(entry, k) == getattr(wanted, k) for k in settings):
            return
        if entry is not None:
            wanted = replace(wanted, restarts=entry.restarts, started_at=entry.started_at)
        with file_lock(ppaths.container(want.container_id).lock):
            if wanted.needs_monitor:
                supervised.save(ppaths, wanted)
            else:
                supervised.store(ppaths, wanted)
        if wanted.needs_monitor:
            self.keep_monitor(want.record.project)

    def start_created(self, record: ContainerRecord) -> None:
        """Starts a container an earlier command created (its conmon waits for the start)."""
        cpaths = self.paths.project(record.project).container(record.id)
        with file_lock(cpaths.lock):
            pid = int(cpaths.pidfile.read_text().strip())
            entry = self.supervision_of(record)
            launching.start(self.runtime(record.runtime), self.paths.project(record.project),
                            record.id, pid, service=record.service,
                            on_boot=self._boot_reporter(record.service))
        self._started(record, entry)

    def relaunch(self, record: ContainerRecord) -> None:
        """Starts a stopped container again from its bundle: a new start, so the rich init
        hooks run again, on the same writable layer."""
        ppaths = self.paths.project(record.project)
        cpaths = ppaths.container(record.id)
        runtime = self.runtime(record.runtime)
        with file_lock(cpaths.lock):
            discard(runtime, cpaths, record.id)
            supervised.health_path(ppaths, record.id).unlink(missing_ok=True)
            entry = self.supervision_of(record)
            launching.launch(runtime, ppaths, record.id, log_size_max=entry.log_size_max,
                             service=record.service, on_boot=self._boot_reporter(record.service))
        self._started(record, entry)

    def _started(self, record: ContainerRecord, entry: Supervised) -> None:
        ppaths = self.paths.project(record.project)
        append_event(ppaths.events, "start", record.service, record.id)
        if entry.needs_monitor:
            supervised.save(ppaths, entry)
            self.keep_monitor(record.project)
        self.report(record.service, f"started {record.id}")
        self.run_lifecycle(record, "post_start")

    def run_lifecycle(self, record: ContainerRecord, kind: str) -> None:
        """post_start after a start (after a rich container's initscript and system
        services: the start waited for them), pre_stop before a stop, as compose runs them;
        a failure raises (compose: a failing post_start fails `up`, a failing pre_stop
        aborts the stop)."""
        cpaths = self.paths.project(record.project).container(record.id)
        commands = read_hook_commands(cpaths.dir, "post_start" if kind == "post_start"
                                      else "pre_stop")
        if commands:
            run_hooks(self.runtime(record.runtime), record.id, record.service, commands,
                      cpaths.log)

    def supervision_of(self, record: ContainerRecord) -> Supervised:
        """What the container was created with; a user's start resets the restart count."""
        try:
            entry = supervised.load(self.paths.project(record.project), record.id)
        except StateError:
            entry = None  # unreadable: what the container record knows
        if entry is None:
            return Supervised(id=record.id, service=record.service, runtime=record.runtime,
                              restart=record.restart)
        return replace(entry, restarts=0, started_at=time.time())

    def _prepare_volumes(self, bundle: Bundle, project: str) -> None:
        mounts = bundle.spec.get("mounts")
        assert isinstance(mounts, list)
        for mount in mounts:
            if mount.get("type") == "bind":
                source = Path(mount["source"])
                if not source.exists() and source.parent == self.paths.volumes:
                    source.mkdir(parents=True, exist_ok=True)
                    self.paths.volume_owner(source).write_text(project)

    def own_volumes(self, project_name: str) -> list[Path]:
        """This project's volume folders: `<project>_*` whose owner file names it (one from
        before owner files: unless it fits a longer project's prefix, e.g. `a_b_` for `a`)."""
        others = [p for p in self.paths.project_names()
                  if p != project_name and p.startswith(f"{project_name}_")]
        own = []
        for folder in self.paths.volumes.glob(f"{project_name}_*"):
            try:
                owner = self.paths.volume_owner(folder).read_text().strip()
            except FileNotFoundError:
                owner = "" if any(folder.name.startswith(f"{o}_") for o in others) \
                    else project_name
            if owner == project_name and folder.is_dir() and not folder.is_symlink():
                own.append(folder)
        return own

    # --- stop and remove -----------------------------------------------------------------

    def unsupervise(self, ppaths: ProjectPaths, container_id: str) -> None:
        """Before a user's stop: the monitor must not restart it."""
        with file_lock(ppaths.container(container_id).lock):  # waits out a restart in flight
            supervised.remove(ppaths, container_id)

    def stop(self, ppaths: ProjectPaths, record: ContainerRecord, timeout: float | None,
             notifier: Notifier, status: str | None = None) -> bool:
        """stop_signal, then SIGKILL after the grace period (or `timeout`); with no grace
        (`-t 0`) SIGKILL at once. `status` is what the caller already observed (no `runc
        state` then). True when the container is known to have stopped: the caller may then
        delete it without `--force` (~20 ms instead of ~110 ms)."""
        runtime = self.runtime(record.runtime)
        if status is None:
            state = runtime.state(record.id)
            status = "missing" if state is None else state.status
        if status in ("missing", "stopped"):
            return status == "stopped"
        if status == "paused":
            runtime.resume(record.id)
        grace = record.stop_grace_period if timeout is None else timeout
        if status in ("running", "paused"):
            self.run_lifecycle(record, "pre_stop")
        self.report(record.service, f"stopping {record.id}")
        if status == "created" or grace <= 0:  # never started, or -t 0: no graceful part
            grace = 0
        else:
            runtime.kill(record.id, self._stop_signal(record))
        stopped = grace > 0 and self._wait_stopped(ppaths, runtime, record.id, grace, notifier)
        if not stopped:
            runtime.kill(record.id, "KILL", all_processes=True)
            stopped = self._wait_stopped(ppaths, runtime, record.id, KILL_WAIT, notifier)
        append_event(ppaths.events, "stop", record.service, record.id)
        return stopped and status != "created"

    def _stop_signal(self, record: ContainerRecord) -> str:
        name = signal_name(record.stop_signal)
        if name is None:
            self.report(record.service, f"warning: stop signal {record.stop_signal[:40]!r} is "
                                        "not a signal; stopping with SIGTERM")
        return name or "TERM"

    def _wait_stopped(self, ppaths: ProjectPaths, runtime: OCIRuntime, container_id: str,
                      timeout: float, notifier: Notifier) -> bool:
        exit_file = safe_join(ppaths.exits, container_id)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if notifier.wait_for(exit_file.exists, max(0.0, min(remaining, 1.0))):
                return True
            state = runtime.state(container_id)  # no exit file if its conmon was killed
            if state is None or state.status == "stopped":
                return True
            if remaining <= 0:
                return False

    def remove(self, ppaths: ProjectPaths, cid: str, runtime_name: str | None = None,
               service: str = "", *, keep_layer: bool = False, stopped: bool = False) -> None:
        """Deletes the runtime's container, undoes the container setups, unmounts and removes its
        files; with `keep_layer` the writable layer (`upper/`) stays for the next create.
        Every part is tried even if one fails (the first failure is raised after)."""
        cpaths = ppaths.container(cid)
        failures: list[Exception] = []

        def attempt(action: Callable[[], object]) -> None:
            try:
                action()
            except (RichComposeError, OSError) as exc:
                failures.append(exc)

        supervised.remove(ppaths, cid)
        attempt(lambda: discard(self.runtime(runtime_name), cpaths, cid, stopped=stopped))
        for setup in reversed(self.setups):
            attempt(partial(setup.cleanup, ppaths.dir.name, service, cid, cpaths))
        attempt(lambda: unmount(cpaths.rootfs))
        if failures:
            raise failures[0]
        if keep_layer and cpaths.dir.is_dir():
            for item in cpaths.dir.iterdir():
                if item not in (cpaths.upper, cpaths.work):
                    _remove_path(item)
        else:
            shutil.rmtree(cpaths.dir, ignore_errors=True)
        safe_join(ppaths.exits, cid).unlink(missing_ok=True)
        supervised.health_path(ppaths, cid).unlink(missing_ok=True)
        if service:
            append_event(ppaths.events, "destroy", service, cid)

    def remove_strays(self, ppaths: ProjectPaths) -> None:
        """What a crash mid-`up` can leave without a record: runc containers whose bundle is in
        this project, rootfs mounts under it and conmon processes serving it."""
        for state in self.runtime(None).list():
            if Path(state.bundle).is_relative_to(ppaths.dir):
                self.remove(ppaths, state.id)
        for target in _mounts_under(ppaths.dir):
            unmount(Path(target))
        for pid in _conmons_under(ppaths.dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # ours: its bundle path is in this project


def spec_options(made: Sequence[Contribution]) -> list[SpecOption]:
    """What the container setups made, as spec options on the rendered (and hashed) bundle."""
    from richcompose.bundle.render import with_attachments

    return with_attachments(next((m.netns_path for m in made if m.netns_path), None),
                            [mount for m in made for mount in m.extra_mounts],
                            host_network=any(m.host_network for m in made))


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_empty_cgroups(parent: str) -> None:
    """runc removes a container's own cgroup, not the per-root parent made for it; rmdir
    fails harmlessly while another project of this root still has containers."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / parent.lstrip("/")).rmdir()


def _mounts_under(folder: Path) -> list[str]:
    prefix = str(folder) + "/"
    with open("/proc/self/mountinfo") as handle:
        targets = [line.split()[4] for line in handle]
    return sorted((t for t in targets if t.startswith(prefix)), reverse=True)


def _conmons_under(folder: Path) -> list[int]:
    marker = os.fsencode(folder) + b"/"
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or not is_process(int(name), "conmon"):
            continue
        try:
            argv = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if marker in argv:
            found.append(int(name))
    return found
