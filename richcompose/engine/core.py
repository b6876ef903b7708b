"""The engine: up/start/restart/stop/down observe, plan (plan.py, pure) and execute
(execute.py); kill/pause act directly. Status queries live in status.py."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose import graph as graphs
from richcompose.config.replicas import replica_count
from richcompose.config.units import parse_bytes
from richcompose.engine import disk
from richcompose.engine.config import DEFAULT_LOG_MAX, EngineConfig
from richcompose.engine.containers import Containers, Rendered, remove_empty_cgroups, spec_options
from richcompose.engine.execute import Executor
from richcompose.engine.gates import Probes
from richcompose.engine.monitorctl import ensure_monitor, stop_monitor
from richcompose.engine.observe import Observation, observe
from richcompose.engine.plan import (
    Dependencies,
    Desired,
    Instance,
    UpOptions,
    plan_start,
    plan_stop,
    plan_up,
    selection,
)
from richcompose.engine.records import ContainerRecord
from richcompose.engine.status import StatusOps
from richcompose.engine.waiting import Notifier
from richcompose.errors import GraphError, RichComposeError, RuntimeFailure
from richcompose.hostfs import safe_join
from richcompose.image.types import ResolvedImage
from richcompose.runtime import health as healthchecks
from richcompose.runtime import supervised
from richcompose.runtime.boot import boot_kind
from richcompose.runtime.events import append_event
from richcompose.runtime.lifecycle import copy_log
from richcompose.runtime.preflight import require_cgroups
from richcompose.runtime.supervised import Supervised
from richcompose.state import close_root, project_lock, write_json

if TYPE_CHECKING:
    from richcompose.bundle.lifecycle import HookCommand
    from richcompose.bundle.render import Bundle, RenderContext
    from richcompose.config.models import PreStartHook, Project, Service
    from richcompose.container_setup import ContainerSetup
    from richcompose.image.build.builder import Builder
    from richcompose.image.store import ImageStore

Reporter = Callable[[str, str], None]  # (service, message)
DEFAULT_PARALLEL = 16  # beyond this, 2 cores only queue more runc processes


class Engine(StatusOps):
    def __init__(self, config: EngineConfig, *, report: Reporter | None = None,
                 setups: Sequence[ContainerSetup] = (),
                 images: ImageStore | Callable[[], ImageStore] | None = None,
                 builder: Builder | Callable[[ImageStore], Builder] | None = None) -> None:
        """`config` is everything the engine is told (engine/config.py); it reads no
        environment of its own."""
        self.config = config
        self.paths = paths = config.paths
        self.runtime_name = config.runtime
        self.report: Reporter = report or (lambda service, message: None)
        closed = close_root(paths.root)
        if closed:
            self.report("", f"warning: {closed}")
        # The image store and the builder are made when first used (a factory may be given):
        # stop, down and kill need neither, nor the registry and model code they import.
        self._images = images
        self._builder = builder
        self.setups = list(setups)
        self._seccomp: tuple[dict[str, Any] | None] | None = None  # loaded on the first render
        self._seccomp_lock = threading.Lock()
        self._monitor_lock = threading.Lock()
        self.containers = Containers(paths, self.runtime, self.setups,
                                     lambda service, message: self.report(service, message),
                                     self._keep_monitor)

    @cached_property
    def images(self) -> ImageStore:
        from richcompose.image.store import ImageStore

        given = self._images
        if given is None:
            return ImageStore(self.paths.images, env=self.config.environ)
        return given if isinstance(given, ImageStore) else given()

    @cached_property
    def builder(self) -> Builder:
        """Builds `build:` images before their containers are created."""
        from richcompose.image.build.builder import Builder

        given = self._builder
        if given is None:
            return Builder(self.images, environ=self.config.environ)
        return given if isinstance(given, Builder) else given(self.images)

    def observe(self, project_name: str) -> Observation:
        return observe(self.paths.project(project_name), self.records(project_name),
                       self.runtime)

    def _executor(self, project_name: str, notifier: Notifier,
                  parallel: int | None = None, project: Project | None = None) -> Executor:
        pre_start = None
        if project is not None:
            def pre_start(service: str, log: Path, chosen: Project = project) -> None:
                self._pre_start(chosen, service, log)
        return Executor(self.containers, project_name, notifier, parallel,
                        create_ahead=self.config.create_ahead, pre_start=pre_start,
                        has_pre_start={n for n, s in project.services.items() if s.pre_start}
                        if project is not None else set())

    def _dependencies(self, project: Project | None, observed: Observation) -> Dependencies:
        """The project file's graph when there is one; the records for what it lacks."""
        base = None
        if project is not None:
            with contextlib.suppress(GraphError):  # a broken file must not block stop or down
                base = Dependencies.of_graph(graphs.build_graph(project))
        return Dependencies.of_records(observed.containers, base)

    # --- up ------------------------------------------------------------------------------

    def up(self, project: Project, *, services: Iterable[str] = (), no_deps: bool = False,
           parallel: int | None = None, wait: bool = False, wait_timeout: float | None = None,
           force_recreate: bool = False, no_recreate: bool = False,
           remove_orphans: bool = False, timeout: float | None = None) -> list[str]:
        """Converges the selected services: each container is kept, started again, created
        or recreated (plan_up says which and why), each as soon as the conditions on its own
        dependencies hold; returns their container ids. With `wait`, returns once they are
        running (healthy when they have a health check)."""
        require_cgroups()
        self.default_seccomp()  # a profile that cannot be used fails here, before anything
        self.heal(project.name)
        graph = graphs.build_graph(project)
        options = UpOptions(tuple(services), no_deps=no_deps, force_recreate=force_recreate,
                            no_recreate=no_recreate, remove_orphans=remove_orphans)
        chosen = selection(graph, options)
        instances = [Instance(name, index) for name in graphs.start_order(graph) if name in chosen
                     for index in range(1, replica_count(project.services[name]) + 1)]
        ppaths = self.paths.project(project.name)
        with project_lock(ppaths, on_wait=lambda: self.report(
                "", f"waiting for another richcompose to finish with project {project.name!r}")):
            write_json(ppaths.record, {"name": project.name, "directory": project.directory})
            if supervised.load_all(ppaths):  # a monitor killed earlier: its work resumes now
                self._keep_monitor(project.name)
            # as compose: every image is built before anything is created
            if any(s.build is not None for s in project.services.values()):
                self.builder.ensure(project, [i.service for i in instances])
            observed = self.observe(project.name)
            rendered = self._render_all(project, instances)
            desired = {i: self._desired(i, project.name, r)
                       for i, r in zip(instances, rendered, strict=True)}
            plan = plan_up(graph, desired, observed.containers, options)
            parallel = parallel or min(DEFAULT_PARALLEL, len(plan.steps) or 1)
            with Notifier([ppaths.exits, ppaths.health]) as notifier:
                self._executor(project.name, notifier, parallel, project).up(
                    plan, {d.container_id: r for d, r in zip(desired.values(), rendered,
                                                             strict=True)},
                    observed, self._probes(project.name), timeout)
                if wait:
                    self._wait_ready(project.name, graph, [s.container_id for s in plan.steps],
                                     notifier, wait_timeout)
        return [s.container_id for s in plan.steps]

    def _desired(self, instance: Instance, project_name: str,
                 rendered: Rendered | RichComposeError) -> Desired:
        """What the planner needs of a rendered instance; for a kept disk (engine/disk.py)
        also the base it is wanted on and the one the disk on the host was made on."""
        cid = instance.container_id(project_name)
        if not isinstance(rendered, Rendered):
            return Desired(instance, cid, "", failed=True)
        record = rendered.record
        found = disk.found_base(disk.DiskPaths(Path(record.disk))) if record.disk else ""
        return Desired(instance, cid, record.config_hash, keep_layer=bool(record.disk),
                       layer_base=record.disk_base, layer_found=found)

    def _render_all(self, project: Project,
                    instances: list[Instance]) -> list[Rendered | RichComposeError]:
        """Every instance's desired bundle, rendered once (images resolved, pulled if need be,
        in parallel). A failure is kept as the instance's result: it fails in its turn of the
        walk, after what it depends on has started, as a failed start would."""
        def render(instance: Instance) -> Rendered | RichComposeError:
            try:
                return self._rendered(project, instance)
            except RichComposeError as exc:
                return exc

        if len(instances) <= 1:
            return [render(i) for i in instances]
        with ThreadPoolExecutor(min(DEFAULT_PARALLEL, len(instances))) as pool:
            return list(pool.map(render, instances))

    def _probes(self, project_name: str) -> Probes:
        return Probes(
            exit_code=lambda cid: self.exit_code(project_name, cid),
            health=lambda cid: self.health_status(project_name, cid),
            has_health=lambda cid: (e := self.supervision(project_name, cid))
            is not None and e.health is not None,
            keep_monitor=lambda: self._keep_monitor(project_name),
        )

    def _wait_ready(self, project_name: str, graph: graphs.DepGraph, containers: list[str],
                    notifier: Notifier, timeout: float | None) -> None:
        """compose's --wait: running, or healthy with a health check; a service that others
        need to complete may have exited with 0."""
        completed = {target for _, target, edge in graph.edges()
                     if edge.dep.condition == "service_completed_successfully"}
        deadline = None if timeout is None else time.monotonic() + timeout
        probes = self._probes(project_name)
        for cid in containers:
            record = self.record_of(project_name, cid)
            service = record.service if record else cid
            has_health = probes.has_health(cid)

            def ready(cid: str = cid, has_health: bool = has_health) -> bool:
                if self.exit_code(project_name, cid) is not None:
                    return True
                return not has_health or self.health_status(project_name, cid) != "starting"

            while not notifier.wait_for(ready, 1.0):
                self._keep_monitor(project_name)
                if deadline is not None and time.monotonic() > deadline:
                    raise RuntimeFailure(f"service {service!r} not ready within {timeout:g}s",
                                         hint="see `richcompose ps` and `richcompose logs`")
            code = self.exit_code(project_name, cid)
            if code is not None and not (code == 0 and service in completed):
                raise RuntimeFailure(f"service {service!r} exited with code {code}")
            if has_health and self.health_status(project_name, cid) == "unhealthy":
                raise RuntimeFailure(f"service {service!r} is unhealthy",
                                     hint=f"see `richcompose inspect {service}`")

    def _keep_monitor(self, project_name: str) -> None:
        with self._monitor_lock:
            ensure_monitor(self.paths, self.paths.project(project_name))

    # --- one instance, rendered ----------------------------------------------------------

    def _rendered(self, project: Project, instance: Instance, *, container_id: str | None = None,
                  override: Callable[[Service], Service] | None = None,
                  one_off: bool = False) -> Rendered:
        """The instance as the project wants it: image, bundle (rendered once, before any
        container setup), supervision and the record to write, with the config hash."""
        from richcompose.bundle.lifecycle import hook_commands
        from richcompose.bundle.render import render_bundle

        name = instance.service
        service = project.services[name]
        if override is not None:
            service = override(service)
            project = project.model_copy(update={"services": {**project.services, name: service}})
        cid = container_id or instance.container_id(project.name)
        image = self._resolve_image(project, name, service)
        entry = Supervised(id=cid, service=name, runtime=self.runtime(service.runtime).name,
                           restart="no" if one_off else service.restart,
                           health=None if one_off else _health_spec(service, image),
                           log_size_max=_log_size_max(service, self.config.log_size_max))
        context = self._context(project, name, cid, image)
        bundle = render_bundle(context)
        for warning in bundle.warnings:
            self.report(name, f"warning: {warning}")
        where = project.locate(("services", name))
        lifecycle = tuple(command for kind in ("post_start", "pre_stop") for command in
                          hook_commands(service, kind, image.layers, context.host_env, where))
        # A VM (bundle/vm.py): a reboot inside starts it again, so the monitor watches it.
        entry = replace(entry, reboots=boot_kind(bundle.spec) is not None)
        keeps = not one_off and disk.keeps_layer(service)
        record = ContainerRecord(id=cid, project=project.name, service=name,
                                 stop_signal=bundle.stop_signal,
                                 stop_grace_period=service.stop_grace_period,
                                 runtime=entry.runtime, image=image.reference,
                                 depends_on=sorted(service.depends_on), restart=service.restart,
                                 restarts_with=sorted(d for d, dep in service.depends_on.items()
                                                      if dep.restart),
                                 one_off=one_off,
                                 config_hash=_config_hash(bundle, image, entry, lifecycle),
                                 index=instance.index,
                                 disk=str(disk.disk_paths(self.paths, project.name, cid).dir)
                                 if keeps else "",
                                 disk_base=disk.base_of(image) if keeps else "")
        return Rendered(project, instance, image, bundle, record, entry, lifecycle)

    def _context(self, project: Project, name: str, cid: str,
                 image: ResolvedImage) -> RenderContext:
        from richcompose.bundle.render import RenderContext

        return RenderContext(project=project, service_name=name, container_id=cid, image=image,
                             volumes_root=self.paths.volumes, dumb_init=self.config.dumb_init,
                             tini=self.config.tini, seccomp_profile=self.default_seccomp(),
                             host_env=self.config.environ,
                             cgroup_parent=self.paths.cgroup_parent,
                             files_dir=self.paths.project(project.name).container(cid).files)

    def _resolve_image(self, project: Project, name: str, service: Service) -> ResolvedImage:
        if service.rootfs is not None:
            path = Path(service.rootfs)
            path = path if path.is_absolute() else Path(project.directory) / path
            if path.is_dir():  # no store needed (nor its registry and unpack code)
                return ResolvedImage.of_directory(path)
            return self.images.resolve_rootfs(
                path, location=project.locate(("services", name, "rootfs")))
        if service.build is not None:
            return self.builder.image(project, name)
        assert service.image is not None
        return self.images.resolve(service.image,
                                   pull=self.config.pull_policy or service.pull_policy
                                   or "missing",
                                   location=project.locate(("services", name, "image")),
                                   base_dir=Path(project.directory),
                                   progress=self.config.pull_progress)

    def default_seccomp(self) -> dict[str, Any] | None:
        """The configured default seccomp profile, read once (renders run in parallel); one
        that cannot be used is a BundleError with the way out in its hint."""
        with self._seccomp_lock:
            if self._seccomp is None:
                self._seccomp = (self.config.load_seccomp_profile(),)
            return self._seccomp[0]

    def images_in_use(self) -> set[str]:
        """Image references of every container in every project (rmi and prune keep these)."""
        return {record.image for name in self.paths.project_names()
                for record in self.records(name) if record.image}

    def render(self, project: Project, output: Path, services: Iterable[str] = ()) -> list[Path]:
        """Writes each selected service's bundle config under `output/<container>/`; nothing
        is mounted or started."""
        from richcompose.bundle.render import write_bundle

        wanted = set(services)
        written = []
        for name in graphs.start_order(graphs.build_graph(project)):
            if wanted and name not in wanted:
                continue
            rendered = self._rendered(project, Instance(name))
            cid = rendered.container_id
            cpaths = self.paths.project(project.name).container(cid)
            planned = [setup.plan(project, name, cid, cpaths) for setup in self.setups]
            written.append(write_bundle(rendered.bundle.with_options(spec_options(planned)),
                                        safe_join(output, cid)))
        return written

    def run_one_off(self, project: Project, name: str, command: list[str] | None, *,
                    no_deps: bool = False, env: dict[str, str] | None = None,
                    user: str | None = None, workdir: str | None = None,
                    entrypoint: list[str] | None = None) -> ContainerRecord:
        """`run`: a new container with the service's settings and another command; its
        dependencies are brought up first unless `no_deps`. No restart policy, no health."""
        require_cgroups()
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
            rendered = self._rendered(project, Instance(name), container_id=cid,
                                      override=override, one_off=True)
            pid = self.containers.create(rendered)
            self.containers.start(rendered.record, rendered.supervision, pid)
            return rendered.record

    def _pre_start(self, project: Project, name: str, log: Path) -> None:
        """docker compose's runPreStart: each hook in order, as a one-off container of the
        service (bundle/lifecycle.py says which), run to completion; its output goes to
        `log` (the service's first container), a non-zero exit fails the service's start."""
        from richcompose.bundle.lifecycle import pre_start_service

        ppaths = self.paths.project(project.name)
        for index, hook in enumerate(project.services[name].pre_start):
            cid = f"{project.name}-{name}-pre_start-{os.urandom(3).hex()}"
            def override(service: Service, hook: PreStartHook = hook) -> Service:
                return pre_start_service(service, hook)

            rendered = self._rendered(project, Instance(name), container_id=cid,
                                      override=override, one_off=True)
            self.report(name, f"running pre_start[{index}] in {cid}")
            try:
                pid = self.containers.create(rendered)
                self.containers.start(rendered.record, rendered.supervision, pid)
                code = self.wait(project.name, cid)
                tail = copy_log(ppaths.container(cid).log, log)
            finally:
                self.containers.remove(ppaths, cid, rendered.record.runtime, name)
            if code != 0:
                raise RuntimeFailure(f"service {name!r}: pre_start[{index}] exited with code "
                                     f"{code}" + (f": {tail}" if tail else ""),
                                     hint=f"see `richcompose logs {name}`")

    def remove_one_off(self, project_name: str, record: ContainerRecord) -> None:
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths):
            self.containers.remove(ppaths, record.id, record.runtime, record.service)

    # --- start, stop, restart, down ------------------------------------------------------

    def start(self, project_name: str, services: Iterable[str] = (), *,
              project: Project | None = None) -> None:
        """Starts existing stopped containers again from their bundles (a new start: the
        rich init hooks run again), dependencies first."""
        require_cgroups()
        ppaths = self.paths.project(project_name)
        with project_lock(ppaths):
            observed = self.observe(project_name)
            plan = plan_start(observed.containers, self._dependencies(project, observed),
                              services)
            with Notifier([ppaths.exits, ppaths.health]) as notifier:
                self._executor(project_name, notifier, DEFAULT_PARALLEL).start(
                    plan, observed, self._probes(project_name))

    def stop(self, project_name: str, services: Iterable[str] = (),
             timeout: float | None = None, *, project: Project | None = None) -> None:
        observed = self.observe(project_name)
        plan = plan_stop(observed.containers, self._dependencies(project, observed), services)
        with Notifier([self.paths.project(project_name).exits]) as notifier:
            self._executor(project_name, notifier).stop(plan, observed, timeout)

    def restart(self, project_name: str, services: Iterable[str] = (),
                timeout: float | None = None, *, project: Project | None = None) -> None:
        wanted = self._with_restart_dependents(project_name, list(services))
        self.stop(project_name, wanted, timeout=timeout, project=project)
        self.start(project_name, wanted, project=project)

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

    def down(self, project_name: str, *, volumes: bool = False, timeout: float | None = None,
             project: Project | None = None) -> None:
        """Removes everything of the project. It never stops halfway: each part is tried,
        whatever failed before; what could not be removed is reported at the end (and the
        project's state kept, so another `down` tries again)."""
        ppaths = self.paths.project(project_name)
        problems: list[str] = []

        def attempt(action: Callable[[], object]) -> None:
            try:
                action()
            except RichComposeError as exc:
                problems.extend(str(e) for e in [exc, *getattr(exc, "others", [])])
            except OSError as exc:
                problems.append(str(exc))

        with project_lock(ppaths, on_wait=lambda: self.report(
                "", f"waiting for another richcompose to finish with project {project_name!r}")):
            attempt(lambda: stop_monitor(ppaths))
            observed = self.observe(project_name)
            plan = plan_stop(observed.containers, self._dependencies(project, observed),
                             remove=True)
            with Notifier([ppaths.exits]) as notifier:
                attempt(lambda: self._executor(project_name, notifier).stop(plan, observed,
                                                                            timeout))
            attempt(lambda: self.containers.remove_strays(ppaths))
            for setup in reversed(self.setups):
                attempt(partial(setup.cleanup_project, project_name))
            if volumes:
                for folder in self.containers.own_volumes(project_name):
                    shutil.rmtree(folder, ignore_errors=True)
                    self.paths.volume_owner(folder).unlink(missing_ok=True)
                # VMs' disks too (engine/disk.py): without -v they stay for the next `up`.
                shutil.rmtree(disk.project_disks(self.paths, project_name), ignore_errors=True)
            if not problems:
                shutil.rmtree(ppaths.dir, ignore_errors=True)
        remove_empty_cgroups(self.paths.cgroup_parent)
        if problems:
            raise RuntimeFailure(f"down left part of project {project_name!r} behind: "
                                 + "; ".join(dict.fromkeys(problems)),
                                 hint="everything else was removed; fix the cause and run "
                                      "`richcompose down` again")

    # --- kill, pause ---------------------------------------------------------------------

    def kill(self, project_name: str, services: Iterable[str] = (), signal: str = "KILL") -> None:
        """A user's kill is a manual stop: the restart policy does not bring it back."""
        wanted = set(services)
        ppaths = self.paths.project(project_name)
        for record in self.records(project_name):
            if wanted and record.service not in wanted:
                continue
            self.containers.unsupervise(ppaths, record.id)
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


def _config_hash(bundle: Bundle, image: ResolvedImage, entry: Supervised,
                 lifecycle: tuple[HookCommand, ...] = ()) -> str:
    """What decides a container: its spec (before the container setups, which make things),
    image, supervision settings and lifecycle hooks."""
    text = json.dumps([bundle.spec, bundle.files, bundle.stop_signal, image.reference,
                       image.digest, entry.restart,
                       entry.health.to_json() if entry.health else None,
                       entry.log_size_max, [asdict(c) for c in lifecycle]],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _health_spec(service: Service, image: ResolvedImage) -> healthchecks.HealthSpec | None:
    check = service.healthcheck
    own = None if check is None else {k: getattr(check, k) for k in check.model_fields_set}
    return healthchecks.resolve(own, image.config.healthcheck)


def _log_size_max(service: Service, default: int = DEFAULT_LOG_MAX) -> int:
    """Per-container log cap: compose's `logging.options.max-size` (json-file driver), else the
    `org.richcompose.log-max-size` label, else the configured `default` (EngineConfig, 10 MiB
    unless RICHCOMPOSE_LOG_MAX_SIZE says otherwise); `-1` lifts it, as docker's max-size does."""
    options = service.logging.options if service.logging else {}
    raw = (str(options.get("max-size") or "")
           or service.labels.get("org.richcompose.log-max-size") or "")
    if raw.strip() == "-1":
        return 0
    return int(parse_bytes(raw)) if raw else default
