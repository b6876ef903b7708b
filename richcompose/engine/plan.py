"""The engine's decisions, apart from its effects (docker compose's `reconcile()`): from what the
project wants (one `Desired` per container instance, with its config hash) and what is observed
(one `Observed` per container the records, runc and the mount table know), which instances to
create, keep, start, relaunch, recreate, stop or remove, in what order, and why. Pure: no runc,
no files, so every decision has a unit test (tests/engine/test_plan.py). execute.py acts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from richcompose import graph as graphs
from richcompose.container_setup import container_name
from richcompose.engine.traversal import Edge


@dataclass(frozen=True, order=True)
class Instance:
    """One container of a service: `index` is compose's replica number (from 1)."""

    service: str
    index: int = 1

    def container_id(self, project: str) -> str:
        return container_name(project, self.service, self.index)

    def __str__(self) -> str:
        return self.service if self.index == 1 else f"{self.service}-{self.index}"


class Action(StrEnum):
    CREATE = "create"  # nothing usable there: render, mount, create, start
    KEEP = "keep"  # already as wanted: nothing to do
    START = "start"  # created (by an earlier command) and never started: `runc start` it
    RELAUNCH = "relaunch"  # stopped, as wanted: a new start from its bundle and writable layer
    RECREATE = "recreate"  # there but not as wanted: stop, remove, create, start
    REMOVE_ORPHAN = "remove-orphan"  # its service left the project (`--remove-orphans`)
    STOP = "stop"
    REMOVE = "remove"  # stop (if needed) and remove
    FAIL = "fail"  # could not be rendered: fails in its turn, so what it needs still starts


class Reason(StrEnum):
    NEW = "no container yet"
    UP_TO_DATE = "up to date"
    CREATED = "created, never started"
    STOPPED = "stopped"
    CONFIG_CHANGED = "its configuration changed"
    FORCED = "--force-recreate"
    NOT_RECREATED = "its configuration changed, but --no-recreate keeps it"
    ROOTFS_GONE = "its root filesystem is no longer mounted"
    RUNTIME_LOST = "the runtime no longer knows it"
    ORPHAN = "its service is no longer in the project"
    SURPLUS = "more replicas than the project asks for"
    UNRENDERABLE = "its bundle could not be rendered"
    DISK_REFUSED = "its rootfs changed under its disk, which a recreate would lose"
    DISK_DISCARDED = "--force-recreate, discarding its disk: its rootfs changed"
    REQUESTED = "asked for"
    NOT_RUNNING = "not running"


class Status(StrEnum):
    """What the runtime says of a container (MISSING: a record the runtime does not know)."""

    RUNNING = "running"
    PAUSED = "paused"
    CREATED = "created"
    STOPPED = "stopped"
    MISSING = "missing"


@dataclass(frozen=True)
class Observed:
    instance: Instance
    container_id: str
    status: Status
    config_hash: str = ""
    rootfs_mounted: bool = False
    conmon_alive: bool = False  # a created container can be started only through its conmon
    one_off: bool = False  # `richcompose run`: never part of a plan for `up`
    depends_on: tuple[str, ...] = ()  # services, as recorded when it was created

    @property
    def active(self) -> bool:
        return self.status in (Status.RUNNING, Status.PAUSED)


@dataclass(frozen=True)
class Desired:
    instance: Instance
    container_id: str
    config_hash: str
    # The instance's writable layer survives a recreate (a migrated VM's disk: the `vm` rule
    # sets it). The executor then keeps `upper/` and mounts the new image under it.
    keep_layer: bool = False
    failed: bool = False  # rendering failed (e.g. an image that cannot be pulled)
    # With keep_layer (engine/disk.py): the rootfs/image the disk is wanted on, and the one
    # the disk found on the host was made on (observed; empty: no disk yet). A disk is only
    # ever put back on the rootfs it was made on.
    layer_base: str = ""
    layer_found: str = ""

    @property
    def layer_moved(self) -> bool:
        return self.keep_layer and bool(self.layer_found) and self.layer_found != self.layer_base


@dataclass(frozen=True)
class Step:
    action: Action
    instance: Instance
    container_id: str
    reason: Reason
    keep_layer: bool = False  # with RECREATE: keep the writable layer
    discard_layer: bool = False  # with (RE)CREATE: remove the kept disk first (--force-recreate)

    def describe(self) -> str:
        return f"{self.action.value} {self.container_id}: {self.reason.value}"


@dataclass(frozen=True)
class Plan:
    """Steps in dependency order; `edges` orders them (forward for up and start, reverse for
    stop and down), with compose's condition on each edge. `orphans` run first, in reverse."""

    steps: tuple[Step, ...]
    edges: tuple[Edge[str], ...] = ()  # between container ids
    orphans: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()

    def actions(self) -> dict[str, Action]:
        """container id → action (for tests and `--dry-run` style views)."""
        return {s.container_id: s.action for s in (*self.orphans, *self.steps)}

    def step(self, container_id: str) -> Step:
        return next(s for s in (*self.orphans, *self.steps) if s.container_id == container_id)


@dataclass(frozen=True)
class UpOptions:
    services: tuple[str, ...] = ()  # empty: every service
    no_deps: bool = False
    force_recreate: bool = False
    no_recreate: bool = False
    remove_orphans: bool = False


@dataclass(frozen=True)
class Dependencies:
    """Who depends on whom, per service, with the edge's condition: from the project's graph,
    or from the records when there is no project file."""

    edges: Mapping[str, tuple[tuple[str, str, bool], ...]] = field(default_factory=dict)

    @classmethod
    def of_graph(cls, graph: graphs.DepGraph) -> Dependencies:
        def needs(name: str) -> tuple[tuple[str, str, bool], ...]:
            deps = ((target, graph.edge(name, target).dep)
                    for target in sorted(graph.successors(name)))
            return tuple((target, dep.condition, dep.required) for target, dep in deps)
        return cls({name: needs(name) for name in graph})

    @classmethod
    def of_records(cls, observed: Iterable[Observed],
                   base: Dependencies | None = None) -> Dependencies:
        """The records' dependencies for services `base` (the project) does not know."""
        edges = dict(base.edges) if base else {}
        for item in observed:
            edges.setdefault(item.instance.service,
                             tuple((dep, "service_started", True) for dep in item.depends_on))
        return cls(edges)

    def between(self, steps: Sequence[Step]) -> tuple[Edge[str], ...]:
        """Edges between the steps' containers: each instance of a service needs every
        instance of its dependencies (replicas of one service do not wait for each other)."""
        by_service: dict[str, list[str]] = {}
        for step in steps:
            by_service.setdefault(step.instance.service, []).append(step.container_id)
        out = []
        for step in steps:
            for target, condition, required in self.edges.get(step.instance.service, ()):
                out += [Edge(step.container_id, other, condition, required)
                        for other in by_service.get(target, ())]
        return tuple(out)


def plan_up(graph: graphs.DepGraph, desired: Mapping[Instance, Desired],
            observed: Sequence[Observed], options: UpOptions = UpOptions()) -> Plan:
    """compose's convergence: every selected instance ends up running with its desired config;
    an unchanged running container is kept, a changed one recreated; orphans are removed only
    when asked (else a warning says so)."""
    selected = selection(graph, options)
    seen = {o.instance: o for o in observed if not o.one_off}
    order = {name: i for i, name in enumerate(graphs.start_order(graph))}
    wanted = sorted((d for d in desired.values() if d.instance.service in selected),
                    key=lambda d: (order.get(d.instance.service, len(order)), d.instance.index))
    steps = [_converge(d, seen.get(d.instance), options) for d in wanted]
    steps += [Step(Action.REMOVE, o.instance, o.container_id, Reason.SURPLUS)
              for o in seen.values()
              if o.instance.service in selected and o.instance not in desired]
    orphaned = sorted((o for o in seen.values() if o.instance.service not in graph),
                      key=lambda o: o.instance)
    orphans: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()
    if orphaned and options.remove_orphans:
        orphans = tuple(Step(Action.REMOVE_ORPHAN, o.instance, o.container_id, Reason.ORPHAN)
                        for o in orphaned)
    elif orphaned:
        warnings = (f"found orphan containers ({', '.join(o.container_id for o in orphaned)}) "
                    "for this project; if you removed or renamed their service, run this "
                    "command with --remove-orphans to clean them up",)
    deps = Dependencies.of_records(orphaned, Dependencies.of_graph(graph))
    return Plan(tuple(steps), deps.between([*steps, *orphans]), orphans, warnings)


def _converge(want: Desired, have: Observed | None, options: UpOptions) -> Step:
    def step(action: Action, reason: Reason) -> Step:
        keep = want.keep_layer and action is Action.RECREATE
        return Step(action, want.instance, want.container_id, reason, keep_layer=keep)

    if want.failed:
        return step(Action.FAIL, Reason.UNRENDERABLE)
    if want.layer_moved:  # the VM's disk rule (engine/disk.py): refuse unless forced
        if not options.force_recreate:
            return step(Action.FAIL, Reason.DISK_REFUSED)
        return Step(Action.CREATE if have is None else Action.RECREATE, want.instance,
                    want.container_id, Reason.DISK_DISCARDED, discard_layer=True)
    if have is None:
        return step(Action.CREATE, Reason.NEW)
    if have.status is Status.MISSING:
        return step(Action.RECREATE, Reason.RUNTIME_LOST)
    changed = have.config_hash != want.config_hash
    if options.force_recreate:
        return step(Action.RECREATE, Reason.FORCED)
    if changed and not options.no_recreate:
        return step(Action.RECREATE, Reason.CONFIG_CHANGED)
    if have.active:
        return step(Action.KEEP, Reason.NOT_RECREATED if changed else Reason.UP_TO_DATE)
    if not have.rootfs_mounted:  # e.g. after a reboot: nothing to start again from
        return step(Action.RECREATE, Reason.ROOTFS_GONE)
    if have.status is Status.CREATED and have.conmon_alive:
        return step(Action.START, Reason.NOT_RECREATED if changed else Reason.CREATED)
    return step(Action.RELAUNCH, Reason.NOT_RECREATED if changed else Reason.STOPPED)


def plan_start(observed: Sequence[Observed], deps: Dependencies,
               services: Iterable[str] = ()) -> Plan:
    """`start`: existing stopped containers start again from their bundles (a new start: the
    rich init hooks run again), dependencies first; running ones are kept."""
    wanted = set(services)
    chosen = sorted((o for o in observed
                     if not o.one_off and (not wanted or o.instance.service in wanted)),
                    key=lambda o: o.instance)
    steps = tuple(Step(Action.KEEP, o.instance, o.container_id, Reason.UP_TO_DATE) if o.active
                  else Step(Action.RELAUNCH, o.instance, o.container_id, Reason.STOPPED)
                  for o in chosen)
    return Plan(steps, deps.between(steps))


def plan_stop(observed: Sequence[Observed], deps: Dependencies, services: Iterable[str] = (),
              *, remove: bool = False) -> Plan:
    """`stop` (and, with `remove`, `down`): dependents before their dependencies. Stopped
    containers get a step too: their supervision must end so no monitor restarts them."""
    wanted = set(services)
    chosen = sorted((o for o in observed if not wanted or o.instance.service in wanted),
                    key=lambda o: (o.instance, o.container_id))
    action = Action.REMOVE if remove else Action.STOP
    steps = tuple(Step(action, o.instance, o.container_id,
                       Reason.REQUESTED if o.active or o.status is Status.CREATED
                       else Reason.NOT_RUNNING)
                  for o in chosen)
    # A one-off `run` container shares its service's instance: only the service's own are ordered.
    one_off = {o.container_id for o in chosen if o.one_off}
    return Plan(steps, deps.between([s for s in steps if s.container_id not in one_off]))


def selection(graph: graphs.DepGraph, options: UpOptions) -> set[str]:
    """The services `up` converges: the named ones (and their dependencies unless
    `--no-deps`), or every service."""
    if not options.services:
        return set(graph)
    return graphs.select(graph, options.services, with_dependencies=not options.no_deps)
