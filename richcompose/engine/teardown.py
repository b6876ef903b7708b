"""stop and down: reverse dependency order (dependents first, independent ones in parallel),
stop_signal then SIGKILL after the grace period; `down` also reconciles with what runc and
/proc report, so a project left by a killed CLI or monitor is removed completely."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from richcompose.config.models import Project
from richcompose.engine.disk import project_disks
from richcompose.engine.hooks import ContainerHook
from richcompose.engine.monitorctl import stop_monitor
from richcompose.engine.records import ContainerRecord
from richcompose.engine.waiting import Notifier
from richcompose.runtime import supervised
from richcompose.runtime.events import append_event
from richcompose.runtime.launch import discard, is_process
from richcompose.runtime.mounts import unmount
from richcompose.runtime.oci import OCIRuntime
from richcompose.state import ProjectPaths, StatePaths, file_lock, project_lock, write_json

KILL_WAIT = 10.0


class TeardownOps:
    paths: StatePaths
    hooks: list[ContainerHook]

    def runtime(self, name: str | None = None) -> OCIRuntime:
        raise NotImplementedError

    def records(self, project_name: str) -> list[ContainerRecord]:
        raise NotImplementedError

    report: Callable[[str, str], None]

    def stop(self, project_name: str, services: Iterable[str] = (),
             timeout: float | None = None) -> None:
        wanted = set(services)
        chosen = [r for r in self.records(project_name) if not wanted or r.service in wanted]
        self._stop_all(project_name, chosen, timeout)

    def remove_orphans(self, project: Project, timeout: float | None = None) -> list[str]:
        """Stops and removes containers of services the project no longer defines (compose's
        `--remove-orphans`); one-off `run` containers are left alone."""
        orphans = [r for r in self.records(project.name)
                   if r.service not in project.services and not r.one_off]
        if orphans:
            with project_lock(self.paths.project(project.name)):
                self._stop_all(project.name, orphans, timeout, remove=True)
        return [r.id for r in orphans]

    def _stop_all(self, project_name: str, records: Sequence[ContainerRecord],
                  timeout: float | None, *, remove: bool = False) -> None:
        """Each container stops once every container depending on it has stopped; with
        `remove` it is also deleted right away, so removal runs in parallel too."""
        ppaths = self.paths.project(project_name)
        for record in records:
            self._unsupervise(ppaths, record.id)  # first: the monitor must not restart it
        done = {r.service: threading.Event() for r in records}
        dependents = {r.service: [d.service for d in records if r.service in d.depends_on]
                      for r in records}
        errors: list[BaseException] = []
        with Notifier([ppaths.exits]) as notifier:
            def task(record: ContainerRecord) -> None:
                try:
                    for other in dependents[record.service]:
                        done[other].wait()
                    self._stop_container(ppaths, record, timeout, notifier)
                    if remove:
                        self._remove_container(ppaths, record.id, record.runtime, record.service)
                except BaseException as exc:  # reported after every container had its turn
                    errors.append(exc)
                finally:
                    done[record.service].set()

            threads = [threading.Thread(target=task, args=(r,)) for r in records]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]

    def _unsupervise(self, ppaths: ProjectPaths, container_id: str) -> None:
        cpaths = ppaths.container(container_id)
        with file_lock(cpaths.lock):  # waits out a restart in flight
            entry = supervised.load(ppaths, container_id)
            if entry is not None and cpaths.dir.is_dir():
                write_json(cpaths.supervision, entry.to_json())  # keeps the restart count
            supervised.remove(ppaths, container_id)

    def _stop_container(self, ppaths: ProjectPaths, record: ContainerRecord,
                        timeout: float | None, notifier: Notifier) -> None:
        runtime = self.runtime(record.runtime)
        state = runtime.state(record.id)
        if state is None or state.status == "stopped":
            return
        if state.status == "paused":
            runtime.resume(record.id)
        grace = record.stop_grace_period if timeout is None else timeout
        self.report(record.service, f"stopping {record.id}")
        if state.status == "created":  # never started: nothing to be graceful with
            grace = 0
        else:
            runtime.kill(record.id, record.stop_signal)
        if not self._wait_stopped(ppaths, runtime, record.id, grace, notifier):
            runtime.kill(record.id, "KILL", all_processes=True)
            self._wait_stopped(ppaths, runtime, record.id, KILL_WAIT, notifier)
        append_event(ppaths.events, "stop", record.service, record.id)

    def _wait_stopped(self, ppaths: ProjectPaths, runtime: OCIRuntime, container_id: str,
                      timeout: float, notifier: Notifier) -> bool:
        exit_file = ppaths.exits / container_id
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

    # --- down ----------------------------------------------------------------------------

    def down(self, project_name: str, *, volumes: bool = False,
             timeout: float | None = None) -> None:
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths, on_wait=lambda: self.report(
                "", f"waiting for another richcompose to finish with project {project_name!r}")):
            stop_monitor(ppaths)
            self._stop_all(project_name, self.records(project_name), timeout, remove=True)
            self._remove_strays(ppaths)
            for hook in reversed(self.hooks):
                hook.cleanup_project(project_name)
            if volumes:
                for folder in self.paths.volumes.glob(f"{project_name}_*"):
                    shutil.rmtree(folder, ignore_errors=True)
                # VMs' disks too (engine/disk.py): without -v they stay for the next `up`.
                shutil.rmtree(project_disks(self.paths, project_name), ignore_errors=True)
            shutil.rmtree(ppaths.dir, ignore_errors=True)
        _remove_empty_cgroups(self.paths.cgroup_parent)

    def remove(self, ppaths: ProjectPaths, container_id: str) -> None:
        self._remove_container(ppaths, container_id)

    def _remove_container(self, ppaths: ProjectPaths, cid: str, runtime_name: str | None = None,
                          service: str = "") -> None:
        cpaths = ppaths.container(cid)
        supervised.remove(ppaths, cid)
        discard(self.runtime(runtime_name), cpaths, cid)
        for hook in reversed(self.hooks):
            hook.cleanup(ppaths.dir.name, service, cid, cpaths)
        unmount(cpaths.rootfs)
        shutil.rmtree(cpaths.dir, ignore_errors=True)
        (ppaths.exits / cid).unlink(missing_ok=True)
        supervised.health_path(ppaths, cid).unlink(missing_ok=True)
        if service:
            append_event(ppaths.events, "destroy", service, cid)

    def _remove_strays(self, ppaths: ProjectPaths) -> None:
        """What a crash mid-`up` can leave without a record: runc containers whose bundle is in
        this project, rootfs mounts under it and conmon processes serving it."""
        for state in self.runtime().list():
            if Path(state.bundle).is_relative_to(ppaths.dir):
                self._remove_container(ppaths, state.id)
        for target in _mounts_under(ppaths.dir):
            unmount(Path(target))
        for pid in _conmons_under(ppaths.dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # ours: its bundle path is in this project


def _remove_empty_cgroups(parent: str) -> None:
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
