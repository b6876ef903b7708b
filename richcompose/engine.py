"""up/down/stop/ps over the dependency graph: the only place that sequences side effects.

Each service starts as soon as the conditions on its own dependencies hold (not in waves):
every service gets a task, tasks are submitted in dependency order and each waits only on
the events of its own dependencies, so independent services start in parallel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx

from richcompose import graph as graphs
from richcompose import logs
from richcompose.bundle.render import RenderContext, render_bundle, write_bundle
from richcompose.config.models import Dependency, Project, Service
from richcompose.errors import RichComposeError, RuntimeFailure
from richcompose.image import defaults
from richcompose.image.store import ImageStore
from richcompose.image.types import ResolvedImage
from richcompose.network import NetworkManager
from richcompose.network import service as service_network
from richcompose.network.ports import published_address
from richcompose.network.types import Protocol
from richcompose.runtime.conmon import ConmonLauncher, ContainerFiles
from richcompose.runtime.mounts import mount_overlay, unmount
from richcompose.runtime.oci import OCIRuntime
from richcompose.state import (
    ContainerPaths,
    ProjectPaths,
    StatePaths,
    project_lock,
    read_json,
    write_json,
)

Reporter = Callable[[str, str], None]  # (service, message)


def container_name(project: str, service: str, number: int = 1) -> str:
    return f"{project}-{service}-{number}"


@dataclass
class ContainerRecord:
    """What richcompose remembers of a container, enough to stop and remove it later even if
    the project file has changed or is gone."""

    id: str
    project: str
    service: str
    stop_signal: str = "TERM"
    stop_grace_period: float = 10.0
    runtime: str = "runc"
    image: str = ""
    created_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ContainerStatus:
    service: str
    container: str
    state: str  # created, running, paused, exited, missing
    pid: int
    exit_code: int | None


@dataclass
class _ServiceEvents:
    started: threading.Event = field(default_factory=threading.Event)
    failed: threading.Event = field(default_factory=threading.Event)
    error: str = ""


class Engine:
    def __init__(self, paths: StatePaths, *, runtime: str = "runc",
                 report: Reporter | None = None, dumb_init: str | None = None) -> None:
        self.paths = paths
        self.runtime_name = runtime
        self.report: Reporter = report or (lambda service, message: None)
        self.dumb_init = dumb_init or os.environ.get(
            "RICHCOMPOSE_DUMB_INIT", "/usr/local/libexec/richcompose/dumb-init")
        self.images = ImageStore(paths.images)
        self.network = NetworkManager(paths.root)

    def runtime(self, name: str | None = None) -> OCIRuntime:
        return OCIRuntime(name or self.runtime_name, self.paths.runtime_root)

    # --- up ------------------------------------------------------------------------------

    def up(self, project: Project, *, services: Iterable[str] = (), no_deps: bool = False,
           parallel: int | None = None) -> list[str]:
        """Creates and starts the selected services in dependency order; returns container ids."""
        graph = graphs.build_graph(project)
        wanted = list(services)
        selected = graphs.select(graph, wanted, with_dependencies=not no_deps) if wanted \
            else set(graph)
        order = [name for name in graphs.start_order(graph) if name in selected]
        ppaths = self.paths.project(project.name)
        with project_lock(ppaths, on_wait=lambda: self.report(
                "", f"waiting for another richcompose on project {project.name!r}")):
            write_json(ppaths.record, {"name": project.name, "directory": project.directory})
            events = {name: _ServiceEvents() for name in order}
            errors: list[RichComposeError] = []
            workers = max(1, min(parallel or len(order) or 1, len(order) or 1))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="up") as pool:
                futures: list[Future[None]] = [
                    pool.submit(self._bring_up, project, name, graph, events, selected)
                    for name in order  # dependency order: a task only waits on earlier ones
                ]
                for future in futures:
                    exc = future.exception()
                    if isinstance(exc, RichComposeError):
                        errors.append(exc)
                    elif exc is not None:
                        errors.append(RuntimeFailure(f"{type(exc).__name__}: {exc}"))
            if errors:
                raise errors[0]
        return [container_name(project.name, name) for name in order]

    def _bring_up(self, project: Project, name: str, graph: nx.DiGraph,
                  events: dict[str, _ServiceEvents], selected: set[str]) -> None:
        mine = events[name]
        try:
            for dep in graph.successors(name):
                condition: Dependency = graph.edges[name, dep]["dep"]
                if dep in selected:
                    self._wait_for(project, name, dep, condition, events[dep])
            self._create_and_start(project, name)
            mine.started.set()
        except RichComposeError as exc:
            mine.error = str(exc)
            mine.failed.set()
            raise

    def _wait_for(self, project: Project, name: str, dep: str, condition: Dependency,
                  dep_events: _ServiceEvents) -> None:
        while not (dep_events.started.is_set() or dep_events.failed.is_set()):
            dep_events.started.wait(0.05)
        if dep_events.failed.is_set():
            if not condition.required:
                self.report(name, f"optional dependency {dep} failed; starting anyway")
                return
            raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} failed",
                                 hint=dep_events.error)
        cid = container_name(project.name, dep)
        if condition.condition == "service_completed_successfully":
            code = self.wait(project.name, cid)
            if code != 0 and condition.required:
                raise RuntimeFailure(
                    f"service {name!r} not started: dependency {dep!r} exited with code {code}",
                    hint="service_completed_successfully needs exit code 0")
        elif condition.condition == "service_healthy":
            self._wait_healthy(project, dep, cid, required=condition.required)

    def _wait_healthy(self, project: Project, dep: str, cid: str, *, required: bool) -> None:
        check = project.services[dep].healthcheck
        if check is None or check.disable or not check.test or check.test[0] == "NONE":
            raise RuntimeFailure(f"service {dep!r} has no healthcheck, so it can never be healthy",
                                 hint="add a healthcheck: to it or use condition: service_started")
        argv = check.test[1:] if check.test[0] == "CMD" else ["/bin/sh", "-c", " ".join(check.test[1:])]
        runtime = self.runtime()
        deadline = time.monotonic() + check.start_period + check.interval * (check.retries + 1) + 5
        while time.monotonic() < deadline:
            try:
                if runtime.exec(cid, argv, timeout=check.timeout).returncode == 0:
                    self.report(dep, "healthy")
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(min(check.interval, check.start_interval))
        if required:
            raise RuntimeFailure(f"dependency {dep!r} did not become healthy")

    def _create_and_start(self, project: Project, name: str) -> None:
        service = project.services[name]
        cid = container_name(project.name, name)
        ppaths = self.paths.project(project.name)
        cpaths = ppaths.container(cid)
        runtime = self.runtime(service.runtime)
        state = runtime.state(cid)
        if state is not None and state.status == "running":
            self.report(name, f"{cid} already running")
            return
        if state is not None:
            self._remove_container(ppaths, cid)
        image = self._resolve_image(project, name, service)
        # Before the bundle: it joins the netns made here and mounts the hosts files written here.
        net = service_network.connect(self.network, project, name, cid, cpaths.dir / "network",
                                      lambda other: container_name(project.name, other))
        bundle = render_bundle(RenderContext(project=project, service_name=name, container_id=cid,
                                             image=image, volumes_root=self.paths.volumes,
                                             dumb_init=self.dumb_init, netns_path=net.netns_path,
                                             host_network=net.host, extra_mounts=net.mounts))
        self._prepare_volumes(bundle.spec)
        record = ContainerRecord(id=cid, project=project.name, service=name,
                                 stop_signal=bundle.stop_signal,
                                 stop_grace_period=service.stop_grace_period,
                                 runtime=runtime.name, image=image.reference)
        write_json(cpaths.record, asdict(record))
        mount_overlay(image.layers, cpaths.upper, cpaths.work, cpaths.rootfs)
        write_bundle(bundle, cpaths.bundle)
        launcher = ConmonLauncher(runtime.binary, self.paths.runtime_root)
        pid = launcher.create(cid, _files(ppaths, cpaths), terminal=bundle.terminal)
        runtime.start(cid)
        if bundle.spec.get("hooks", {}).get("startContainer"):
            _wait_past_start_hooks(name, pid, cpaths.log)
        self.report(name, f"started {cid}")

    def _resolve_image(self, project: Project, name: str, service: Service) -> ResolvedImage:
        if service.rootfs is not None:
            path = Path(service.rootfs)
            path = path if path.is_absolute() else Path(project.directory) / path
            return self.images.resolve_rootfs(
                path, location=project.locate(("services", name, "rootfs")))
        assert service.image is not None
        return self.images.resolve(service.image, pull=service.pull_policy or "missing",
                                   location=project.locate(("services", name, "image")),
                                   base_dir=Path(project.directory))

    def _prepare_volumes(self, spec: dict[str, object]) -> None:
        mounts = spec.get("mounts")
        assert isinstance(mounts, list)
        for mount in mounts:
            if mount.get("type") == "bind":
                source = Path(mount["source"])
                if not source.exists() and str(source).startswith(str(self.paths.volumes)):
                    source.mkdir(parents=True, exist_ok=True)

    def render(self, project: Project, output: Path, services: Iterable[str] = ()) -> list[Path]:
        """Writes each selected service's bundle config under `output/<container>/`; nothing
        is mounted or started."""
        wanted = set(services)
        written = []
        for name in graphs.start_order(graphs.build_graph(project)):
            if wanted and name not in wanted:
                continue
            cid = container_name(project.name, name)
            image = self._resolve_image(project, name, project.services[name])
            net = service_network.planned(project.services[name], cid,
                                          self.paths.project(project.name).container(cid).dir
                                          / "network", self.network.netns_path(cid))
            bundle = render_bundle(RenderContext(project=project, service_name=name,
                                                 container_id=cid, image=image,
                                                 volumes_root=self.paths.volumes,
                                                 dumb_init=self.dumb_init,
                                                 netns_path=net.netns_path,
                                                 host_network=net.host, extra_mounts=net.mounts))
            written.append(write_bundle(bundle, output / cid))
        return written

    # --- status --------------------------------------------------------------------------

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

    def exit_code(self, project_name: str, container_id: str) -> int | None:
        path = self.paths.project(project_name).exits / container_id
        try:
            return int(path.read_text().strip() or "0")
        except (FileNotFoundError, ValueError):
            return None

    def ps(self, project_name: str) -> list[ContainerStatus]:
        out = []
        for record in self.records(project_name):
            state = self.runtime(record.runtime).state(record.id)
            code = self.exit_code(project_name, record.id)
            if state is None:
                status, pid = "missing", 0
            elif state.status == "stopped":
                status, pid = "exited", 0
            else:
                status, pid = state.status, state.pid
            out.append(ContainerStatus(record.service, record.id, status, pid, code))
        return out

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
                if not wanted or r.service in wanted}

    def port(self, project_name: str, service: str, port: int,
             protocol: Protocol = "tcp") -> list[str]:
        """`HOST_IP:HOST_PORT` where a service's container port is published."""
        return published_address(self.network.ports(project_name, service), port, protocol)

    def container_for(self, project_name: str, service: str) -> ContainerRecord:
        for record in self.records(project_name):
            if record.service == service:
                return record
        raise RuntimeFailure(f"service {service!r} has no container in project {project_name!r}",
                             hint="start it with `richcompose up`")

    # --- stop and down -------------------------------------------------------------------

    def stop(self, project_name: str, services: Iterable[str] = (),
             timeout: float | None = None) -> None:
        wanted = set(services)
        for record in self._stop_order(project_name):
            if not wanted or record.service in wanted:
                self._stop_container(project_name, record, timeout)

    def down(self, project_name: str, *, volumes: bool = False,
             timeout: float | None = None) -> None:
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths):
            for record in self._stop_order(project_name):
                self._stop_container(project_name, record, timeout)
                self._remove_container(ppaths, record.id, record.runtime)
            self._remove_strays(ppaths)
            self.network.cleanup_project(project_name)
            if volumes:
                for folder in self.paths.volumes.glob(f"{project_name}_*"):
                    shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(ppaths.dir, ignore_errors=True)

    def _stop_order(self, project_name: str) -> list[ContainerRecord]:
        """Dependents first: reverse of the creation order recorded when they were made."""
        return sorted(self.records(project_name), key=lambda r: r.created_at, reverse=True)

    def _stop_container(self, project_name: str, record: ContainerRecord,
                        timeout: float | None) -> None:
        runtime = self.runtime(record.runtime)
        state = runtime.state(record.id)
        if state is None or state.status == "stopped":
            return
        if state.status == "paused":
            runtime.resume(record.id)
        grace = record.stop_grace_period if timeout is None else timeout
        self.report(record.service, f"stopping {record.id}")
        runtime.kill(record.id, record.stop_signal)
        if self.wait(project_name, record.id, timeout=grace) is None:
            runtime.kill(record.id, "KILL", all_processes=True)
            self.wait(project_name, record.id, timeout=10)

    def _remove_container(self, ppaths: ProjectPaths, cid: str, runtime_name: str | None = None
                          ) -> None:
        cpaths = ppaths.container(cid)
        runtime = self.runtime(runtime_name)
        state = runtime.state(cid)
        if state is not None:
            if state.status != "stopped":
                runtime.kill(cid, "KILL", all_processes=True)
            runtime.delete(cid, force=True)
        _wait_conmon_exit(cpaths)
        unmount(cpaths.rootfs)
        shutil.rmtree(cpaths.dir, ignore_errors=True)
        (ppaths.exits / cid).unlink(missing_ok=True)
        # Last, after delete: nothing uses the netns now, and a CNI failure here cannot leave
        # a mount behind (the attachment stays recorded for `down`'s cleanup_project).
        self.network.detach(ppaths.dir.name, cid)

    def _remove_strays(self, ppaths: ProjectPaths) -> None:
        """Containers of this project that runc knows but the records lost (crash mid-up)."""
        prefix = f"{ppaths.dir.name}-"
        for state in self.runtime().list():
            if state.id.startswith(prefix) and Path(state.bundle).is_relative_to(ppaths.dir):
                self._remove_container(ppaths, state.id)


def _files(ppaths: ProjectPaths, cpaths: ContainerPaths) -> ContainerFiles:
    return ContainerFiles(bundle=cpaths.bundle, log=cpaths.log, exit_dir=ppaths.exits,
                          pidfile=cpaths.pidfile, conmon_pidfile=cpaths.conmon_pidfile,
                          socket_dir=cpaths.sockets)


def _stop_signal(service: Service, image: ResolvedImage) -> str:
    raw = defaults.stop_signal(image.config, service.stop_signal)
    return raw.removeprefix("SIG") if not raw.isdigit() else raw


def _wait_past_start_hooks(service: str, pid: int, log: Path, timeout: float = 3600) -> None:
    """startContainer hooks (initcmd, initscript, system services) run after `runc start`
    returns, in runc init before it execs PID 1: wait for that exec, and turn a hook failure
    (the container is gone and runc logged a hook error) into the error of this start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, IndexError):
            break
        if state in ("Z", "X"):
            break  # exited before its exec
        # An empty cmdline is the instant inside execve before the new arguments are set.
        if cmdline and cmdline != b"runc\0init\0":
            return
        time.sleep(0.01)
    detail = ""
    settle = time.monotonic() + 2  # conmon copies runc's last words a moment after the exit
    while not detail and time.monotonic() < settle:
        lines = [entry.text for entry in logs.read_lines(log)]
        starts = [i for i, line in enumerate(lines) if "error running hook" in line]
        if starts:  # runc's message, then the rest of the hook's stderr on the lines after it
            detail = "; ".join(line for line in lines[starts[-1]:] if line.strip())
        time.sleep(0.05)
    if detail:  # else PID 1 ran and exited quickly, which is not a failed start
        raise RuntimeFailure(f"service {service!r} failed to start: {detail}",
                             hint="see `richcompose logs " + service + "`")


def _wait_conmon_exit(cpaths: ContainerPaths, timeout: float = 5.0) -> None:
    """conmon exits shortly after its container; wait so nothing of ours outlives `down`."""
    try:
        pid = int(cpaths.conmon_pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_conmon(pid):
            return
        time.sleep(0.02)
    if not _is_conmon(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # our own conmon, by PID


def _is_conmon(pid: int) -> bool:
    # Checks the name too, so a recycled PID is never mistaken for our conmon.
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "conmon"
    except OSError:
        return False
