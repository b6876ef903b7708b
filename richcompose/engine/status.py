"""Read-only views of a project's containers: records, ps, health, inspect, top, wait, ls."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from richcompose.engine import disk
from richcompose.engine.records import ContainerRecord, ContainerStatus
from richcompose.errors import RuntimeFailure
from richcompose.runtime import boot, supervised
from richcompose.runtime.oci import OCIRuntime
from richcompose.runtime.supervised import Supervised
from richcompose.state import StatePaths, read_json


class StatusOps:
    paths: StatePaths

    def runtime(self, name: str | None = None) -> OCIRuntime:
        raise NotImplementedError

    def records(self, project_name: str) -> list[ContainerRecord]:
        ppaths = self.paths.project(project_name)
        if not ppaths.containers.is_dir():
            return []
        out = []
        for folder in sorted(ppaths.containers.iterdir()):
            data = read_json(folder / "container.json")
            if data:
                out.append(ContainerRecord(**data))
        return out

    def record_of(self, project_name: str, container_id: str) -> ContainerRecord | None:
        data = read_json(self.paths.project(project_name).container(container_id).record)
        return None if data is None else ContainerRecord(**data)

    def exit_code(self, project_name: str, container_id: str) -> int | None:
        path = self.paths.project(project_name).exits / container_id
        try:
            return int(path.read_text().strip() or "0")
        except (FileNotFoundError, ValueError):
            return None

    def stored_supervision(self, project_name: str, container_id: str) -> Supervised | None:
        data = read_json(self.paths.project(project_name).container(container_id).supervision)
        return None if data is None else Supervised.from_json(data)

    def health(self, project_name: str, container_id: str) -> dict[str, Any] | None:
        """The monitor's last word on a container's health, or None without a health check."""
        ppaths = self.paths.project(project_name)
        data = read_json(supervised.health_path(ppaths, container_id))
        if data is not None:
            return dict(data)
        stored = self.stored_supervision(project_name, container_id)
        if stored is not None and stored.health is not None:
            return {"status": "starting", "failing_streak": 0, "log": []}
        return None

    def health_status(self, project_name: str, container_id: str) -> str:
        data = self.health(project_name, container_id)
        return "" if data is None else str(data.get("status", ""))

    def ps(self, project_name: str) -> list[ContainerStatus]:
        out = []
        ppaths = self.paths.project(project_name)
        for record in self.records(project_name):
            state = self.runtime(record.runtime).state(record.id)
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
            entry = supervised.load(ppaths, record.id) or self.stored_supervision(
                project_name, record.id)
            out.append(ContainerStatus(record.service, record.id, status, pid, code, health,
                                       entry.restarts if entry else 0, output,
                                       self.boot_state(record) if status == "running" else "",
                                       *self.disk_of(record)))
        return out

    def boot_state(self, record: ContainerRecord) -> str:
        """A running VM's boot state (booting, starting, running, degraded...), else empty."""
        bundle = self.paths.project(record.project).container(record.id).bundle
        spec = read_json(bundle / "config.json") or {}
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
        wanted = set(services)
        ppaths = self.paths.project(project_name)
        return {r.service: ppaths.container(r.id).log for r in self.records(project_name)
                if (not wanted or r.service in wanted) and not r.one_off}

    def container_for(self, project_name: str, service: str) -> ContainerRecord:
        for record in self.records(project_name):
            if record.service == service and not record.one_off:
                return record
        raise RuntimeFailure(f"service {service!r} has no container in project {project_name!r}",
                             hint="start it with `richcompose up`")

    def inspect(self, project_name: str, service: str) -> dict[str, Any]:
        record = self.container_for(project_name, service)
        ppaths = self.paths.project(project_name)
        state = self.runtime(record.runtime).state(record.id)
        stored = self.stored_supervision(project_name, record.id)
        entry = supervised.load(ppaths, record.id) or stored
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
            data = read_json(self.paths.project(name).record) or {}
            states = [s.state for s in self.ps(name)]
            running = states.count("running")
            status = f"running({running})" if running else f"exited({len(states)})"
            out.append({"Name": name, "Status": status,
                        "ConfigFiles": str(data.get("directory", ""))})
        return out
