"""Runs a plan (docker compose's `executePlan`): each step's effects on its container, in the
one dependency walk (traversal.py): forward for `up` and `start` (a container starts once the
conditions on its dependencies hold), reverse for `stop` and `down`. With `create_ahead`,
containers are created before their dependency gates open and only *started* in order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from richcompose.engine import disk
from richcompose.engine.containers import Containers, Rendered
from richcompose.engine.gates import Gates, Probes
from richcompose.engine.plan import Action, Plan, Reason, Step
from richcompose.engine.traversal import Walk
from richcompose.errors import RichComposeError

if TYPE_CHECKING:
    from richcompose.engine.observe import Observation
    from richcompose.engine.records import ContainerRecord
    from richcompose.engine.waiting import Notifier
    from richcompose.state import ProjectPaths

_STARTS = (Action.CREATE, Action.RECREATE, Action.START, Action.RELAUNCH)


@dataclass
class Executor:
    containers: Containers
    project_name: str
    notifier: Notifier
    parallel: int | None = None  # None: no limit
    create_ahead: bool = False
    # Runs a service's pre_start hooks (their output into the given log), see _pre_start_once.
    pre_start: Callable[[str, Path], None] | None = None
    has_pre_start: set[str] = field(default_factory=set)

    @property
    def ppaths(self) -> ProjectPaths:
        return self.containers.paths.project(self.project_name)

    def _walk(self, plan: Plan, steps: tuple[Step, ...]) -> Walk[str]:
        labels = {s.container_id: str(s.instance) for s in steps}
        return Walk([s.container_id for s in steps], plan.edges, parallel=self.parallel,
                    label=lambda cid: labels.get(cid, cid), on_done=self.notifier.poke)

    # --- up ------------------------------------------------------------------------------

    def up(self, plan: Plan, rendered: Mapping[str, Rendered | RichComposeError],
           observed: Observation,
           probes: Probes, timeout: float | None = None) -> None:
        for warning in plan.warnings:
            self.containers.report("", f"warning: {warning}")
        if plan.orphans:
            self.stop(Plan(plan.orphans, plan.edges), observed, timeout)
            for step in plan.orphans:
                self.containers.report("", f"removed orphan container {step.container_id}")
        steps = {s.container_id: s for s in plan.steps}
        pids: dict[str, int] = {}
        pre_start = self._pre_start_once(plan)

        def make(cid: str) -> None:
            step, want = steps[cid], rendered.get(cid)
            if isinstance(want, RichComposeError):
                raise want
            if step.reason is Reason.DISK_REFUSED and want is not None:
                service = want.project.services[step.instance.service]
                raise disk.refusal(want.record, want.image.reference, want.project.locate(
                    ("services", step.instance.service, "rootfs" if service.rootfs else "image")))
            if step.action in (Action.CREATE, Action.RECREATE):
                assert want is not None
                pids[cid] = self._create(step, want, observed, timeout)

        visited: set[str] = set()

        def run(cid: str) -> None:
            visited.add(cid)
            step = steps[cid]
            if not self.create_ahead:
                make(cid)
            pre_start(step)
            if cid in pids:
                want = rendered[cid]
                assert isinstance(want, Rendered)
                self.containers.start(want.record, want.supervision, pids[cid])
            elif step.action is Action.START:
                self.containers.start_created(observed.record(cid))
            elif step.action is Action.RELAUNCH:
                self.containers.relaunch(observed.record(cid))
            elif step.action is Action.KEEP:
                want = rendered[cid]
                if isinstance(want, Rendered):
                    self.containers.keep(want)
                self.containers.report(step.instance.service, f"{cid} is up to date")
            elif step.action is Action.REMOVE:
                self._stop_one(observed.record(cid), timeout, remove=True)

        walk = self._walk(plan, plan.steps)
        try:
            walk.forward(
                run, gate=Gates(probes, self.notifier, label=walk.label),
                prepare=make if self.create_ahead else None, warn=lambda cid, message: self.containers.report(
                    steps[cid].instance.service, f"warning: {message}"))
        finally:
            # Created ahead but never started (a dependency failed its gate): removed, so a
            # failed `up` leaves no half-made container, as before containers were made ahead.
            for cid in [c for c in pids if c not in visited]:
                record = steps[cid]
                want = rendered[cid]
                assert isinstance(want, Rendered)
                self.containers.remove(self.ppaths, cid, want.record.runtime,
                                       record.instance.service)

    def _pre_start_once(self, plan: Plan) -> Callable[[Step], None]:
        """As docker compose: a service's pre_start hooks run once, before the first of its
        containers starts, and only when none of them is already running (a scale-up or an
        unchanged service does not run them again); its other replicas wait for them."""
        wanted = {s.instance.service for s in plan.steps if s.instance.service
                  in self.has_pre_start and s.action in _STARTS}
        wanted -= {s.instance.service for s in plan.steps if s.action is Action.KEEP}
        locks = {service: threading.Lock() for service in wanted}
        done: set[str] = set()

        def run(step: Step) -> None:
            service = step.instance.service
            if service not in locks or step.action not in _STARTS or self.pre_start is None:
                return
            with locks[service]:
                if service not in done:
                    self.pre_start(service, self.ppaths.container(step.container_id).log)
                    done.add(service)

        return run

    def _create(self, step: Step, want: Rendered, observed: Observation,
                timeout: float | None) -> int:
        cid = step.container_id
        old = observed.records.get(cid)
        if step.action is Action.RECREATE:
            self.containers.report(step.instance.service, f"recreating {cid}: "
                                                          f"{step.reason.value}")
            if old is not None:
                self._stop_one(old, timeout, remove=False)
        if old is not None or self.containers.exists(self.project_name, cid, want.record.runtime):
            self.containers.remove(self.ppaths, cid, old.runtime if old else None,
                                   keep_layer=step.keep_layer)
        if step.discard_layer:  # after the old container let go of it
            self.containers.report(step.instance.service, "warning: " + disk.discard_notice(
                want.record, want.image.reference))
            disk.discard(disk.DiskPaths(Path(want.record.disk)))
        return self.containers.create(want)

    def _stop_one(self, record: ContainerRecord, timeout: float | None, *,
                  remove: bool) -> None:
        self.containers.unsupervise(self.ppaths, record.id)
        self.containers.stop(self.ppaths, record, timeout, self.notifier)
        if remove:
            self.containers.remove(self.ppaths, record.id, record.runtime, record.service)

    # --- start, stop, down ---------------------------------------------------------------

    def start(self, plan: Plan, observed: Observation, probes: Probes) -> None:
        def run(cid: str) -> None:
            if plan.step(cid).action is Action.RELAUNCH:
                self.containers.relaunch(observed.record(cid))

        walk = self._walk(plan, plan.steps)
        walk.forward(run, gate=Gates(probes, self.notifier, label=walk.label))

    def stop(self, plan: Plan, observed: Observation, timeout: float | None) -> None:
        """Every step's supervision ends first (no monitor restarts what is being stopped);
        then each container stops once its dependents have; REMOVE steps are also deleted
        right away, so removal runs in parallel too."""
        steps = (*plan.orphans, *plan.steps)
        for step in steps:
            self.containers.unsupervise(self.ppaths, step.container_id)

        seen = {o.container_id: o.status.value for o in observed.containers}
        stopped: dict[str, bool] = {}

        def stop(cid: str) -> None:
            stopped[cid] = self.containers.stop(self.ppaths, observed.record(cid), timeout,
                                                self.notifier, seen.get(cid))

        def remove(cid: str) -> None:
            # Once stopped, its dependencies may stop: the removal (CNI DEL, unmount, files)
            # overlaps with theirs. It also runs after a failed stop: removal kills it.
            if plan.step(cid).action in (Action.REMOVE, Action.REMOVE_ORPHAN):
                record = observed.record(cid)
                self.containers.remove(self.ppaths, cid, record.runtime, record.service,
                                       stopped=stopped.get(cid, False))

        self._walk(plan, steps).reverse(stop, then=remove)
