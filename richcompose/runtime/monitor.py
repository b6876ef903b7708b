"""The per-project monitor: a small daemon `up` leaves behind when some container has a restart
policy or a health check. conmon already owns each container's stdio, log and exit code; the
monitor reacts to conmon's exit files (inotify) by applying the restart policy with back-off,
and runs health checks, writing `health/<id>.json` for `ps`, `inspect` and waiting `up`s.

It imports nothing heavy (no pydantic, no config), to stay small: run as
`python -m richcompose.runtime.monitor PROJECT_DIR RUNTIME_ROOT`.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from richcompose.runtime import supervised
from richcompose.runtime.boot import rebooted
from richcompose.runtime.events import append_event
from richcompose.runtime.headless import reap_headless
from richcompose.runtime.health import HealthState, next_probe_at, run_probe
from richcompose.runtime.inotify import Inotify
from richcompose.runtime.launch import discard, launch
from richcompose.runtime.oci import OCIRuntime
from richcompose.runtime.restart import RESET_AFTER, RestartPolicy, backoff
from richcompose.runtime.supervised import Supervised
from richcompose.state import ProjectPaths, file_lock, write_json


class _Stop(Exception):
    """Raised by the SIGTERM handler while the main loop sleeps, so `down` never waits."""


IDLE_EXIT = 2.0  # seconds with nothing to supervise before the monitor leaves
SAFETY_WAKE = 1.0  # inotify is the signal; this only bounds how late a stop flag is seen


@dataclass
class _Watched:
    entry: Supervised
    health_stop: threading.Event | None = None
    handled_exit: int = 0  # mtime_ns of the exit file already acted on
    fast_failures: int = 0
    restart_due: float | None = None
    runs: list[float] = field(default_factory=list)


class Monitor:
    def __init__(self, project_dir: Path, runtime_root: Path) -> None:
        self.paths = ProjectPaths(project_dir)
        self.runtime_root = runtime_root
        self.stopping = threading.Event()
        self.watched: dict[str, _Watched] = {}
        self.sleeping = False
        self._leaving_lock: IO[str] | None = None

    def terminate(self) -> None:
        self.stopping.set()
        if self.sleeping:
            raise _Stop

    def runtime(self, name: str) -> OCIRuntime:
        return OCIRuntime(name, self.runtime_root)

    def run(self) -> None:
        self.paths.supervise.mkdir(parents=True, exist_ok=True)
        self.paths.exits.mkdir(parents=True, exist_ok=True)
        write_json(self.paths.monitor_pidfile, {"pid": os.getpid(), "started": time.time()})
        idle_since = time.monotonic()
        with Inotify([self.paths.supervise, self.paths.exits]) as watch:
            while not self.stopping.is_set():
                self.sync()
                if self.watched:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_EXIT and self._may_leave():
                    break
                self.sleeping = True
                try:
                    if not self.stopping.is_set():
                        watch.wait(self._next_wake())
                except _Stop:
                    break
                finally:
                    self.sleeping = False
        for item in self.watched.values():
            if item.health_stop is not None:
                item.health_stop.set()
        self._drop_pidfile()

    def _drop_pidfile(self) -> None:
        """Only our own: a successor may already have written its PID there."""
        try:
            mine = json.loads(self.paths.monitor_pidfile.read_text()).get("pid") == os.getpid()
        except (OSError, ValueError):
            return
        if mine:
            self.paths.monitor_pidfile.unlink(missing_ok=True)

    def _may_leave(self) -> bool:
        """Leave only while no CLI holds the project lock, so an `up` that is about to hand us
        work never finds us gone (it writes supervise entries under that lock). The lock
        stays held until this process exits."""
        try:
            handle = open(self.paths.lock, "a+")  # noqa: SIM115 - held until the process exits
        except FileNotFoundError:
            return True  # the project is gone
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        if supervised.load_all(self.paths):
            handle.close()
            return False
        self._leaving_lock = handle
        return True

    def _next_wake(self) -> float:
        now = time.monotonic()
        due = [w.restart_due - now for w in self.watched.values() if w.restart_due is not None]
        return max(0.0, min([SAFETY_WAKE, *due]))

    # --- one pass over the supervised containers -----------------------------------------

    def sync(self) -> None:
        entries = supervised.load_all(self.paths)
        for cid in list(self.watched):
            if cid not in entries:
                self._forget(cid)
        for cid, entry in entries.items():
            try:
                self._sync_one(cid, entry)
            except Exception:  # one damaged container must not end supervision of the rest
                import traceback  # only when something broke: not part of the resident set

                traceback.print_exc()

    def _sync_one(self, cid: str, entry: Supervised) -> None:
        item = self.watched.get(cid)
        if item is None:
            item = self.watched[cid] = _Watched(entry)
            self._start_health(item)
        elif entry.started_at != item.entry.started_at:  # restarted by `richcompose start`
            item.entry = entry
            item.restart_due = None
            self._start_health(item)
        if item.restart_due is None:
            with file_lock(self.paths.container(cid).lock):
                code = reap_headless(self.runtime(entry.runtime), self.paths, cid, entry.service)
            if code is not None:
                print(f"{cid}: its conmon died; stopped it, exit code {code}", flush=True)
        self._check_exit(item)
        if item.restart_due is not None and time.monotonic() >= item.restart_due:
            self._restart(item)

    def _forget(self, cid: str) -> None:
        item = self.watched.pop(cid)
        if item.health_stop is not None:
            item.health_stop.set()

    def _check_exit(self, item: _Watched) -> None:
        exit_file = self.paths.exits / item.entry.id
        try:
            stamp = exit_file.stat().st_mtime_ns
            code = int(exit_file.read_text().strip() or "0")
        except (FileNotFoundError, ValueError):
            return
        if stamp == item.handled_exit or item.restart_due is not None:
            return
        item.handled_exit = stamp
        entry = item.entry
        append_event(self.paths.events, "die", entry.service, entry.id, exitCode=code)
        if item.health_stop is not None:
            item.health_stop.set()
        # A VM that rebooted inside comes back as a VM would, whatever its restart policy.
        reboot = entry.reboots and rebooted(self.paths.container(entry.id).bundle)
        if reboot:
            append_event(self.paths.events, "reboot", entry.service, entry.id)
        elif not RestartPolicy.parse(entry.restart).should_restart(code, entry.restarts):
            supervised.remove(self.paths, entry.id)  # the record keeps the restart count
            self._forget(entry.id)
            return
        ran = stamp / 1e9 - entry.started_at
        item.fast_failures = 0 if ran >= RESET_AFTER or reboot else item.fast_failures + 1
        delay = backoff(max(0, item.fast_failures - 1))
        item.restart_due = time.monotonic() + delay

    def _restart(self, item: _Watched) -> None:
        cpaths = self.paths.container(item.entry.id)
        with file_lock(cpaths.lock):
            current = supervised.load(self.paths, item.entry.id) if supervised.is_watched(
                self.paths, item.entry.id) else None
            if current is None or current.started_at != item.entry.started_at:
                item.restart_due = None
                return  # stopped or started by a user meanwhile
            entry = current.restarted()
            runtime = self.runtime(entry.runtime)
            try:
                discard(runtime, cpaths, entry.id)
                supervised.health_path(self.paths, entry.id).unlink(missing_ok=True)
                launch(runtime, self.paths, entry.id, log_size_max=entry.log_size_max)
            except Exception as exc:  # a failed restart is retried with back-off, like a crash
                append_event(self.paths.events, "restart_failed", entry.service, entry.id,
                             error=str(exc))
                supervised.save(self.paths, entry)
                item.entry = entry
                item.fast_failures += 1
                item.restart_due = time.monotonic() + backoff(item.fast_failures)
                return
            supervised.save(self.paths, entry)
        item.entry = entry
        item.restart_due = None
        append_event(self.paths.events, "restart", entry.service, entry.id,
                     restartCount=entry.restarts)
        self._start_health(item)

    # --- health checks -------------------------------------------------------------------

    def _start_health(self, item: _Watched) -> None:
        if item.health_stop is not None:
            item.health_stop.set()
        item.health_stop = None
        if item.entry.health is None:
            return
        stop = threading.Event()
        item.health_stop = stop
        threading.Thread(target=self._health_loop, args=(item.entry, stop), daemon=True,
                         name=f"health-{item.entry.id}").start()

    def _health_loop(self, entry: Supervised, stop: threading.Event) -> None:
        spec = entry.health
        assert spec is not None
        path = supervised.health_path(self.paths, entry.id)
        exit_file = self.paths.exits / entry.id
        runtime = self.runtime(entry.runtime)
        state = _resumed_health(path, entry)  # a new monitor goes on where the last one was
        write_json(path, {**state.to_json(), "started_at": entry.started_at})
        last_start = state.log[-1].start if state.log else entry.started_at
        while True:
            in_start = time.time() - entry.started_at < spec.start_period
            due = next_probe_at(last_start, spec, state, in_start_period=in_start)
            if stop.wait(max(0.0, due - time.time())) or exit_file.exists():
                return
            last_start = time.time()
            probe = run_probe(runtime, entry.id, spec)
            if stop.is_set() or exit_file.exists():
                return
            new = state.record(probe, spec, in_start_period=time.time() - entry.started_at
                               < spec.start_period)
            # The event first: the state file is what opens dependents' gates, so whoever
            # sees a container start after its dependency's health finds the event before it.
            if new.status != state.status:
                append_event(self.paths.events, f"health_status: {new.status}", entry.service,
                             entry.id)
            write_json(path, {**new.to_json(), "started_at": entry.started_at})
            state = new


def _resumed_health(path: Path, entry: Supervised) -> HealthState:
    """The last probes of this same run of the container, if a monitor before us wrote them."""
    try:
        data = json.loads(path.read_bytes())
        if data.get("started_at") == entry.started_at:
            return HealthState.from_json(data)
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return HealthState()


def main(argv: list[str]) -> int:
    project_dir, runtime_root = Path(argv[0]), Path(argv[1])
    monitor = Monitor(project_dir, runtime_root)
    signal.signal(signal.SIGTERM, lambda *_: monitor.terminate())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C of a foreground `up` is not ours
    try:
        monitor.run()
    except Exception:
        import traceback  # only to report a crash: not part of the resident set

        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
