"""The engine: up/start/restart/kill/pause over the dependency graph; the only place that
sequences side effects. Status queries live in status.py, stop and down in teardown.py."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import networkx as nx

from richcompose import graph as graphs
from richcompose.bundle.render import Bundle, RenderContext, render_bundle, write_bundle
from richcompose.bundle.spec import with_cgroups_path
from richcompose.config.models import Project, Service
from richcompose.config.units import parse_bytes
from richcompose.engine import disk
from richcompose.engine.bringup import BringUp, Probes
from richcompose.engine.hooks import ContainerHook, Prepared
from richcompose.engine.monitorctl import ensure_monitor
from richcompose.engine.records import ContainerRecord, container_name
from richcompose.engine.status import StatusOps
from richcompose.engine.teardown import TeardownOps
from richcompose.engine.waiting import Notifier
from richcompose.errors import RuntimeFailure
from richcompose.image.store import ImageStore
from richcompose.image.types import ResolvedImage
from richcompose.runtime import health as healthchecks
from richcompose.runtime import supervised
from richcompose.runtime.boot import BootState, boot_kind
from richcompose.runtime.events import append_event
from richcompose.runtime.launch import discard, launch
from richcompose.runtime.mounts import is_mounted, mount_overlay
from richcompose.runtime.oci import OCIRuntime
from richcompose.runtime.supervised import Supervised
from richcompose.state import StatePaths, file_lock, project_lock, read_json, write_json

Reporter = Callable[[str, str], None]  # (service, message)
LOG_MAX_ENV = "RICHCOMPOSE_LOG_MAX_SIZE"
DEFAULT_PARALLEL = 16  # beyond this, 2 cores only queue more runc processes


class Engine(StatusOps, TeardownOps):
    def __init__(self, paths: StatePaths, *, runtime: str = "runc",
                 report: Reporter | None = None, dumb_init: str | None = None,
                 hooks: Sequence[ContainerHook] = ()) -> None:
        self.paths = paths
        self.runtime_name = runtime
        self.report: Reporter = report or (lambda service, message: None)
        self.dumb_init = dumb_init or os.environ.get(
            "RICHCOMPOSE_DUMB_INIT", "/usr/local/libexec/richcompose/dumb-init")
        self.images = ImageStore(paths.images)
        self.hooks = list(hooks)
        self.pull_policy: str | None = None  # `up --pull`: overrides each service's pull_policy
        self.pull_progress: Any = None  # a callback for the image store (rich bars in the CLI)
        self.force_recreate = False  # `up --force-recreate`: recreate even unchanged ones
        self._monitor_lock = threading.Lock()

    def runtime(self, name: str | None = None) -> OCIRuntime:
        return OCIRuntime(name or self.runtime_name, self.paths.runtime_root)

    # --- up ------------------------------------------------------------------------------

    def up(self, project: Project, *, services: Iterable[str] = (), no_deps: bool = False,
           parallel: int | None = None, wait: bool = False,
           wait_timeout: float | None = None) -> list[str]:
        """Creates and starts the selected services, each as soon as the conditions on its
        own dependencies hold; returns their container ids. With `wait`, returns once they
        are running (healthy when they have a health check)."""
        graph = graphs.build_graph(project)
        wanted = list(services)
        selected = graphs.select(graph, wanted, with_dependencies=not no_deps) if wanted \
            else set(graph)
        order = [name for name in graphs.start_order(graph) if name in selected]
        ppaths = self.paths.project(project.name)
        with project_lock(ppaths, on_wait=lambda: self.report(
                "", f"waiting for another richcompose to finish with project {project.name!r}")):
            write_json(ppaths.record, {"name": project.name, "directory": project.directory})
            if supervised.load_all(ppaths):  # a monitor killed earlier: its work resumes now
                self._keep_monitor(project.name)
            with Notifier([ppaths.exits, ppaths.health]) as notifier:
                probes = self._probes(project, notifier)
                BringUp(graph, selected, probes, notifier,
                        parallel or min(DEFAULT_PARALLEL, len(order) or 1)).run(order)
                if wait:
                    self._wait_ready(project, graph, order, notifier, wait_timeout)
        return [container_name(project.name, name) for name in order]

    def _probes(self, project: Project, notifier: Notifier) -> Probes:
        name = project.name

        def cid(service: str) -> str:
            return container_name(name, service)

        return Probes(
            start=lambda service: self._create_and_start(project, service),
            exit_code=lambda service: self.exit_code(name, cid(service)),
            health=lambda service: self.health_status(name, cid(service)),
            has_health=lambda service: (e := self.stored_supervision(name, cid(service)))
            is not None and e.health is not None,
            keep_monitor=lambda: self._keep_monitor(name),
            warn=lambda service, message: self.report(service, f"warning: {message}"),
        )

    def _wait_ready(self, project: Project, graph: nx.DiGraph[str], order: list[str],
                    notifier: Notifier, timeout: float | None) -> None:
        """compose's --wait: running, or healthy with a health check; a service that others
        need to complete may have exited with 0."""
        completed = {dep for _, dep, data in graph.edges(data=True)
                     if data["dep"].condition == "service_completed_successfully"}
        deadline = None if timeout is None else time.monotonic() + timeout
        for service in order:
            cid = container_name(project.name, service)
            has_health = self._probes(project, notifier).has_health(service)

            def ready(cid: str = cid, has_health: bool = has_health) -> bool:
                if self.exit_code(project.name, cid) is not None:
                    return True
                return not has_health or self.health_status(project.name, cid) != "starting"

            while not notifier.wait_for(ready, 1.0):
                self._keep_monitor(project.name)
                if deadline is not None and time.monotonic() > deadline:
                    raise RuntimeFailure(f"service {service!r} not ready within {timeout:g}s",
                                         hint="see `richcompose ps` and `richcompose logs`")
            code = self.exit_code(project.name, cid)
            if code is not None and not (code == 0 and service in completed):
                raise RuntimeFailure(f"service {service!r} exited with code {code}")
            if has_health and self.health_status(project.name, cid) == "unhealthy":
                raise RuntimeFailure(f"service {service!r} is unhealthy",
                                     hint=f"see `richcompose inspect {service}`")

    def _keep_monitor(self, project_name: str) -> None:
        with self._monitor_lock:
            ensure_monitor(self.paths, self.paths.project(project_name))

    # --- one container -------------------------------------------------------------------

    def _create_and_start(self, project: Project, name: str, *, container_id: str | None = None,
                          override: Callable[[Service], Service] | None = None,
                          one_off: bool = False) -> ContainerRecord:
        service = project.services[name]
        if override is not None:
            service = override(service)
            project = project.model_copy(update={"services": {**project.services, name: service}})
        cid = container_id or container_name(project.name, name)
        ppaths = self.paths.project(project.name)
        cpaths = ppaths.container(cid)
        runtime = self.runtime(service.runtime)
        state = runtime.state(cid) if runtime.known(cid) else None
        image = self._resolve_image(project, name, service)
        entry = Supervised(id=cid, service=name, runtime=runtime.name,
                           restart="no" if one_off else service.restart,
                           health=None if one_off else _health_spec(service, image),
                           log_size_max=_log_size_max(service))
        digest = self._config_hash(project, name, cid, image, entry)
        old = self.record_of(project.name, cid)
        same = old is not None and old.config_hash == digest and not self.force_recreate
        layer = self._disk_decision(project, name, cid, service, image, one_off)  # may refuse
        # As compose: an unchanged container is kept (or started again), a changed one recreated.
        if state is not None and state.status in ("running", "paused"):
            if same and old is not None:
                self.report(name, f"{cid} is up to date")
                return old
            self.report(name, f"recreating {cid}: its configuration changed")
            self._stop_all(project.name, [old] if old else [], None)
        elif same and old is not None and state is not None and is_mounted(cpaths.rootfs):
            self._relaunch(old)
            return old
        if state is not None or cpaths.dir.exists():
            self._remove_container(ppaths, cid)
        if layer is not None and layer[1].discard:
            self.report(name, f"warning: {layer[1].warning}")
            disk.discard(layer[0])
        record = ContainerRecord(id=cid, project=project.name, service=name,
                                 disk=str(layer[0].dir) if layer else "",
                                 disk_base=disk.base_of(image) if layer else "",
                                 stop_signal="TERM",
                                 stop_grace_period=service.stop_grace_period,
                                 runtime=runtime.name, image=image.reference,
                                 depends_on=sorted(service.depends_on), restart=service.restart,
                                 restarts_with=sorted(d for d, dep in service.depends_on.items()
                                                      if dep.restart),
                                 one_off=one_off, config_hash=digest)
        write_json(cpaths.record, asdict(record))  # first, so `down` finds what follows
        prepared = [hook.prepare(project, name, cid, cpaths) for hook in self.hooks]
        bundle = self._render(self._context(project, name, cid, image, prepared))
        record.stop_signal = bundle.stop_signal
        entry = replace(entry, reboots=boot_kind(bundle.spec) is not None)
        write_json(cpaths.record, asdict(record))
        self._prepare_volumes(bundle.spec)
        if layer is not None:  # the VM's disk: kept beside the container (engine/disk.py)
            disk.write_base(layer[0], disk.base_of(image), image.reference)
            mount_overlay(image.layers, layer[0].upper, layer[0].work, cpaths.rootfs)
        else:
            mount_overlay(image.layers, cpaths.upper, cpaths.work, cpaths.rootfs)
        write_bundle(bundle, cpaths.bundle)
        write_json(cpaths.supervision, entry.to_json())
        supervised.health_path(ppaths, cid).unlink(missing_ok=True)
        append_event(ppaths.events, "create", name, cid)
        launch(runtime, ppaths, cid, log_size_max=entry.log_size_max, service=name,
               on_boot=self._boot_reporter(name))
        append_event(ppaths.events, "start", name, cid)
        self._supervise(project.name, entry)
        self.report(name, f"started {cid}")
        return record

    def _disk_decision(self, project: Project, name: str, cid: str, service: Service,
                       image: ResolvedImage, one_off: bool
                       ) -> tuple[disk.DiskPaths, disk.Decision] | None:
        """Whether the container's writable layer is kept (a VM's disk) and, when one exists
        on another rootfs, refused or discarded: decided before anything is stopped."""
        if one_off or not disk.keeps_layer(service):
            return None
        where = disk.disk_paths(self.paths, project.name, cid)
        recorded = disk.read_base(where)
        decision = disk.decide(name, recorded, disk.base_of(image), image.reference,
                               size=disk.size_of(where.upper) if recorded else 0,
                               where=where.upper, force=self.force_recreate)
        disk.check(decision, project.locate(("services", name, "rootfs" if service.rootfs
                                             else "image")), name)
        return where, decision

    def _config_hash(self, project: Project, name: str, cid: str, image: ResolvedImage,
                     entry: Supervised) -> str:
        """What decides a container: its spec (before hooks, which may make things), image and
        supervision settings."""
        bundle = self._render(self._context(project, name, cid, image, []))
        text = json.dumps([bundle.spec, bundle.files, bundle.stop_signal, image.reference,
                           image.digest, entry.restart,
                           entry.health.to_json() if entry.health else None,
                           entry.log_size_max], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _relaunch(self, record: ContainerRecord) -> None:
        """Starts a stopped container again from its bundle: a new start, so the rich init
        hooks run again, on the same writable layer."""
        ppaths = self.paths.project(record.project)
        cpaths = ppaths.container(record.id)
        runtime = self.runtime(record.runtime)
        with file_lock(cpaths.lock):
            discard(runtime, cpaths, record.id)
            supervised.health_path(ppaths, record.id).unlink(missing_ok=True)
            entry = self._supervision_of(record)
            launch(runtime, ppaths, record.id, log_size_max=entry.log_size_max,
                   service=record.service, on_boot=self._boot_reporter(record.service))
        append_event(ppaths.events, "start", record.service, record.id)
        self._supervise(record.project, entry)
        self.report(record.service, f"started {record.id}")

    def _boot_reporter(self, service: str) -> Callable[[BootState], None]:
        """A VM's start waits for its boot; failed units are reported, not fatal."""
        def report(state: BootState) -> None:
            if state.failed:
                self.report(service, f"warning: booted {state.describe()}; see `richcompose "
                            f"exec {service} systemctl --failed`")
            else:
                self.report(service, f"booted ({state.state})")
        return report

    def _supervise(self, project_name: str, entry: Supervised) -> None:
        ppaths = self.paths.project(project_name)
        if entry.needs_monitor:
            supervised.save(ppaths, entry)
            self._keep_monitor(project_name)

    def _context(self, project: Project, name: str, cid: str, image: ResolvedImage,
                 prepared: list[Prepared]) -> RenderContext:
        netns = next((p.netns_path for p in prepared if p.netns_path), None)
        mounts = tuple(m for p in prepared for m in p.extra_mounts)
        return RenderContext(project=project, service_name=name, container_id=cid, image=image,
                             volumes_root=self.paths.volumes, dumb_init=self.dumb_init,
                             netns_path=netns, extra_mounts=mounts,
                             host_network=any(p.host_network for p in prepared))

    def _render(self, ctx: RenderContext) -> Bundle:
        """The bundle, its cgroup under the state root's parent (see StatePaths)."""
        bundle = render_bundle(ctx)
        with_cgroups_path(f"{self.paths.cgroup_parent}/{ctx.container_id}")(bundle.spec)
        return bundle

    def _resolve_image(self, project: Project, name: str, service: Service) -> ResolvedImage:
        if service.rootfs is not None:
            path = Path(service.rootfs)
            path = path if path.is_absolute() else Path(project.directory) / path
            return self.images.resolve_rootfs(
                path, location=project.locate(("services", name, "rootfs")))
        assert service.image is not None
        return self.images.resolve(service.image,
                                   pull=self.pull_policy or service.pull_policy or "missing",
                                   location=project.locate(("services", name, "image")),
                                   base_dir=Path(project.directory), progress=self.pull_progress)

    def images_in_use(self) -> set[str]:
        """Image references of every container in every project (rmi and prune keep these)."""
        return {record.image for name in self.paths.project_names()
                for record in self.records(name) if record.image}

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
            cpaths = self.paths.project(project.name).container(cid)
            planned = [hook.plan(project, name, cid, cpaths) for hook in self.hooks]
            written.append(write_bundle(
                self._render(self._context(project, name, cid, image, planned)), output / cid))
        return written

    def run_one_off(self, project: Project, name: str, command: list[str] | None, *,
                    no_deps: bool = False, env: dict[str, str] | None = None,
                    user: str | None = None, workdir: str | None = None,
                    entrypoint: list[str] | None = None) -> ContainerRecord:
        """`run`: a new container with the service's settings and another command; its
        dependencies are brought up first unless `no_deps`. No restart policy, no health."""
        graph = graphs.build_graph(project)
        deps = sorted(graphs.select(graph, [name]) - {name})
        if deps and not no_deps:
            self.up(project, services=deps)

        def override(service: Service) -> Service:
            update: dict[str, object] = {"restart": "no", "healthcheck": None,
                                         "environment": {**service.environment, **(env or {})}}
            if command:
                update["command"] = command
            if entrypoint is not None:
                update["entrypoint"] = entrypoint
            if user:
                update["user"] = user
            if workdir:
                update["working_dir"] = workdir
            return service.model_copy(update=update)

        cid = f"{project.name}-{name}-run-{os.urandom(3).hex()}"
        with project_lock(self.paths.project(project.name)):
            write_json(self.paths.project(project.name).record,
                       {"name": project.name, "directory": project.directory})
            return self._create_and_start(project, name, container_id=cid, override=override,
                                          one_off=True)

    def remove_one_off(self, project_name: str, record: ContainerRecord) -> None:
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths):
            self._remove_container(ppaths, record.id, record.runtime, record.service)

    # --- start, restart, kill, pause -----------------------------------------------------

    def start(self, project_name: str, services: Iterable[str] = ()) -> None:
        """Starts existing stopped containers again from their bundles (a new start: the
        rich init hooks run again), dependencies first."""
        wanted = set(services)
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths):
            for record in sorted(self.records(project_name), key=lambda r: r.created_at):
                if wanted and record.service not in wanted or record.one_off:
                    continue
                state = self.runtime(record.runtime).state(record.id)
                if state is None or state.status not in ("running", "paused"):
                    self._relaunch(record)

    def _supervision_of(self, record: ContainerRecord) -> Supervised:
        """What the container was created with; a user's start resets the restart count."""
        stored = read_json(self.paths.project(record.project).container(record.id).supervision)
        if stored is None:
            return Supervised(id=record.id, service=record.service, runtime=record.runtime,
                              restart=record.restart)
        return replace(Supervised.from_json(stored), restarts=0, started_at=time.time())

    def restart(self, project_name: str, services: Iterable[str] = (),
                timeout: float | None = None) -> None:
        wanted = self._with_restart_dependents(project_name, list(services))
        self.stop(project_name, wanted, timeout=timeout)
        self.start(project_name, wanted)

    def _with_restart_dependents(self, project_name: str, wanted: list[str]) -> list[str]:
        """compose's `depends_on: {X: {restart: true}}`: restarting X restarts its dependent."""
        if not wanted:
            return wanted
        chosen = set(wanted)
        records = self.records(project_name)
        grew = True
        while grew:
            more = {r.service for r in records if chosen & set(r.restarts_with)} - chosen
            chosen |= more
            grew = bool(more)
        return sorted(chosen)

    def kill(self, project_name: str, services: Iterable[str] = (), signal: str = "KILL") -> None:
        """A user's kill is a manual stop: the restart policy does not bring it back."""
        wanted = set(services)
        ppaths = self.paths.project(project_name)
        for record in self.records(project_name):
            if wanted and record.service not in wanted:
                continue
            self._unsupervise(ppaths, record.id)
            self.runtime(record.runtime).kill(record.id, signal.removeprefix("SIG"))
            append_event(ppaths.events, "kill", record.service, record.id, signal=signal)

    def pause(self, project_name: str, services: Iterable[str] = (), *, resume: bool = False) -> None:
        wanted = set(services)
        for record in self.records(project_name):
            if wanted and record.service not in wanted:
                continue
            runtime = self.runtime(record.runtime)
            (runtime.resume if resume else runtime.pause)(record.id)
            append_event(self.paths.project(project_name).events,
                         "unpause" if resume else "pause", record.service, record.id)


def _health_spec(service: Service, image: ResolvedImage) -> healthchecks.HealthSpec | None:
    check = service.healthcheck
    own = None if check is None else {k: getattr(check, k) for k in check.model_fields_set}
    return healthchecks.resolve(own, image.config.healthcheck)


def _log_size_max(service: Service) -> int:
    """Per-container log cap: compose's `logging.options.max-size` (json-file driver), else the
    `org.richcompose.log-max-size` label, else the environment."""
    options = service.logging.options if service.logging else {}
    raw = (str(options.get("max-size") or "") or service.labels.get("org.richcompose.log-max-size")
           or os.environ.get(LOG_MAX_ENV, ""))
    return int(parse_bytes(raw)) if raw else 0
