"""Read-only views of a project's containers: records, ps, health, inspect, top, wait, ls."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.engine import disk
from richcompose.engine.monitorctl import ensure_monitor, monitor_pid
from richcompose.engine.records import ContainerRecord, ContainerStatus, rebuilt_record
from richcompose.errors import RuntimeFailure, StateError
from richcompose.hostfs import safe_join
from richcompose.runtime import boot, supervised
from richcompose.runtime.headless import reap_headless
from richcompose.runtime.oci import OCIRuntime
from richcompose.state import StatePaths, file_lock, project_lock, read_json_object

if TYPE_CHECKING:
    from richcompose.runtime.supervised import Supervised


class StatusOps:
    """Read-only views. Records are a cache of what runc and the bundle say: one that cannot
    be read is reported once (naming the file) and rebuilt from what is observed."""

    paths: StatePaths
    runtime_name: str
    report: Callable[[str, str], None]

    def runtime(self, name: str | None = None) -> OCIRuntime:
        return OCIRuntime(name or self.runtime_name, self.paths.runtime_root)

    def warn_once(self, key: str, message: str) -> None:
        warned: set[str] = self.__dict__.setdefault("_warned", set())
        if key not in warned:
            warned.add(key)
            self.report("", f"warning: {message}")

    def heal(self, project_name: str) -> None:
        """What any command that reads state does first, unless another command holds the
        project: a container whose conmon died is stopped with its exit code recorded, and a
        dead monitor with work to do is started again (it rebuilds restart counts and health
        from the records, and applies the restart policy to what exited meanwhile)."""
        ppaths = self.paths.project(project_name)
        if not ppaths.containers.is_dir():
            return
        try:
            with project_lock(ppaths, wait=False):
                for record in self.records(project_name):
                    with file_lock(ppaths.container(record.id).lock):
                        code = reap_headless(self.runtime(record.runtime), ppaths, record.id,
                                             record.service)
                    if code is not None:
                        self.report(record.service, f"warning: {record.id} lost its conmon; "
                                                    f"stopped it, exit code {code} recorded")
                if monitor_pid(ppaths) is None and supervised.load_all(ppaths):
                    self.report("", "warning: the project's monitor was not running; "
                                    "started it again")
                    ensure_monitor(self.paths, ppaths)
        except StateError:
            return  # another command holds the project: it does this itself

    def records(self, project_name: str) -> list[ContainerRecord]:
        ppaths = self.paths.project(project_name)
        if not ppaths.containers.is_dir():
            return []
        out = []
        for folder in sorted(ppaths.containers.iterdir()):
            record = self.record_of(project_name, folder.name)
            if record is not None:
                out.append(record)
        return out

    def record_of(self, project_name: str, container_id: str) -> ContainerRecord | None:
        cpaths = self.paths.project(project_name).container(container_id)
        try:
            data = read_json_object(cpaths.record)
            return None if data is None else ContainerRecord(**data)
        except (StateError, TypeError) as exc:
            why = exc.message if isinstance(exc, StateError) else f"unreadable state file " \
                f"{cpaths.record}: {exc}"
            self.warn_once(str(cpaths.record), f"{why}; rebuilt from the runtime and the "
                                               "bundle (`up` recreates it, `down` removes it)")
            return rebuilt_record(project_name, container_id, cpaths.bundle)

    def exit_code(self, project_name: str, container_id: str) -> int | None:
        path = safe_join(self.paths.project(project_name).exits, container_id)
        try:
            return int(path.read_text().strip() or "0")
        except (FileNotFoundError, ValueError):
            return None

    def supervision(self, project_name: str, container_id: str) -> Supervised | None:
        """The container's one supervision record (None without one, or unreadable)."""
        ppaths = self.paths.project(project_name)
        try:
            return supervised.load(ppaths, container_id)
        except StateError as exc:
            self.warn_once(str(supervised.record_path(ppaths, container_id)), exc.message)
            return None

    def health(self, project_name: str, container_id: str) -> dict[str, Any] | None:
        """The monitor's last word on a container's health, or None without a health check."""
        ppaths = self.paths.project(project_name)
        path = supervised.health_path(ppaths, container_id)
        try:
            data = read_json_object(path)
        except StateError as exc:
            self.warn_once(str(path), exc.message)
            data = None
        if data is not None:
            return dict(data)
        stored = self.supervision(project_name, container_id)
        if stored is not None and stored.health is not None:
            return {"status": "starting", "failing_streak": 0, "log": []}
        return None

    def health_status(self, project_name: str, container_id: str) -> str:
        data = self.health(project_name, container_id)
        return "" if data is None else str(data.get("status", ""))

    def ps(self, project_name: str) -> list[ContainerStatus]:
        out = []
        records = self.records(project_name)
        # One `runc list` per runtime instead of one `runc state` per container.
        states = {(name, s.id): s for name in {r.runtime for r in records}
                  for s in self.runtime(name).list()}
        for record in records:
            state = states.get((record.runtime, record.id))
            code = self.exit_code(project_name, record.id)
            if state is None:
                status, pid = "missing", 0
            elif state.status == "stopped":
                status, pid = "exited", 0
            else:
                status, pid = state.status, state.pid
            health, output = "", ""
            if status == "running" and (data := self.health(project_name, record.id)):
                health = str(data.get("status", ""))
                output = str(data["log"][-1]["output"]) if data.get("log") else ""
            entry = self.supervision(project_name, record.id)
            out.append(ContainerStatus(record.service, record.id, status, pid, code, health,
                                       entry.restarts if entry else 0, output,
                                       self.boot_state(record) if status == "running" else "",
                                       *self.disk_of(record)))
        return out

    def boot_state(self, record: ContainerRecord) -> str:
        """A running VM's boot state (booting, starting, running, degraded...), else empty."""
        bundle = self.paths.project(record.project).container(record.id).bundle
        spec = read_json_object(bundle / "config.json") or {}
        kind = boot.boot_kind(spec)
        if kind is None:
            return ""
        return boot.probe(self.runtime(record.runtime), record.id, kind, bundle).describe()

    def disk_of(self, record: ContainerRecord) -> tuple[str, int | None]:
        """Where the container's kept writable layer is, and its size (see engine/disk.py)."""
        if not record.disk:
            return "", None
        return record.disk, disk.size_of(Path(record.disk))

    def wait(self, project_name: str, container_id: str, *, poll: float = 0.05,
             timeout: float | None = None) -> int | None:
        """Blocks until conmon has written the container's exit code."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            code = self.exit_code(project_name, container_id)
            if code is not None:
                return code
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(poll)

    def log_files(self, project_name: str, services: Iterable[str] = ()) -> dict[str, Path]:
        """Log file per prefix: the service's name, or `web-2` for replicas (as compose
        prefixes each replica's lines)."""
        wanted = set(services)
        ppaths = self.paths.project(project_name)
        chosen = [r for r in self.records(project_name)
                  if (not wanted or r.service in wanted) and not r.one_off]
        count = Counter(r.service for r in chosen)
        return {r.service if count[r.service] == 1 else f"{r.service}-{r.index}":
                ppaths.container(r.id).log for r in sorted(chosen, key=lambda r: r.index)}

    def container_for(self, project_name: str, service: str, index: int = 1) -> ContainerRecord:
        """The service's container with replica number `index` (compose's --index)."""
        for record in self.records(project_name):
            if record.service == service and not record.one_off and record.index == index:
                return record
        raise RuntimeFailure(f"service {service!r} has no container in project {project_name!r}",
                             hint="start it with `richcompose up`")

    def inspect(self, project_name: str, service: str) -> dict[str, Any]:
        record = self.container_for(project_name, service)
        ppaths = self.paths.project(project_name)
        state = self.runtime(record.runtime).state(record.id)
        stored = entry = self.supervision(project_name, record.id)
        return {
            "Id": record.id, "Service": record.service, "Project": project_name,
            "Image": record.image, "Created": record.created_at,
            "State": {"Status": "missing" if state is None else state.status,
                      "Pid": 0 if state is None else state.pid,
                      "ExitCode": self.exit_code(project_name, record.id),
                      "Health": self.health(project_name, record.id)},
            "RestartPolicy": record.restart,
            "RestartCount": entry.restarts if entry else 0,
            "Healthcheck": stored.health.to_json() if stored and stored.health else None,
            "StopSignal": record.stop_signal, "StopGracePeriod": record.stop_grace_period,
            "DependsOn": record.depends_on,
            "LogPath": str(ppaths.container(record.id).log),
            "Bundle": str(ppaths.container(record.id).bundle),
            "Boot": self.boot_state(record) if state is not None and state.status == "running"
            else "",
            "Disk": None if not record.disk else {
                "Path": record.disk, "Size": disk.size_of(Path(record.disk)),
                "Base": record.disk_base},
        }

    def top(self, project_name: str, service: str) -> list[tuple[int, str, str]]:
        """(pid, uid, command line) of every process in the service's container."""
        record = self.container_for(project_name, service)
        rows = []
        for pid in self.runtime(record.runtime).processes(record.id):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                uid = next(line.split()[1] for line in
                           Path(f"/proc/{pid}/status").read_text().splitlines()
                           if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            rows.append((pid, uid, " ".join(a.decode(errors="replace") for a in argv if a)))
        return rows

    def projects(self) -> list[dict[str, Any]]:
        """Projects on this host (under this state root) and how many containers run."""
        out = []
        for name in self.paths.project_names():
            try:
                data = read_json_object(self.paths.project(name).record) or {}
            except StateError as exc:
                self.warn_once(str(self.paths.project(name).record), exc.message)
                data = {}
            states = [s.state for s in self.ps(name)]
            running = states.count("running")
            status = f"running({running})" if running else f"exited({len(states)})"
            out.append({"Name": name, "Status": status,
                        "ConfigFiles": str(data.get("directory", ""))})
        return out
