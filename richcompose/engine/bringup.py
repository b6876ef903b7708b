"""Dependency-ordered, parallel bring-up: every selected service gets a thread that waits only
on the conditions of its own dependencies (`service_started`, `service_healthy`,
`service_completed_successfully`), then starts; `--parallel N` caps concurrent starts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from richcompose.config.models import Dependency
from richcompose.engine.waiting import Notifier
from richcompose.errors import RichComposeError, RuntimeFailure

SAFETY_WAKE = 1.0  # waits are woken by inotify; this only bounds a check of the monitor


@dataclass
class Outcome:
    done: bool = False
    ok: bool = False
    error: RichComposeError | None = None


@dataclass
class Probes:
    """How bring-up looks at a started container (injected by the engine)."""

    start: Callable[[str], object]  # create and start a service's container
    exit_code: Callable[[str], int | None]
    health: Callable[[str], str]  # "", starting, healthy, unhealthy
    has_health: Callable[[str], bool]
    keep_monitor: Callable[[], None]  # restart the monitor if it died (health checks need it)
    warn: Callable[[str, str], None]


@dataclass
class BringUp:
    graph: nx.DiGraph[str]
    selected: set[str]
    probes: Probes
    notifier: Notifier
    parallel: int
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: list[RichComposeError] = field(default_factory=list)

    def run(self, order: list[str]) -> None:
        self.outcomes = {name: Outcome() for name in order}
        gate = threading.Semaphore(max(1, self.parallel))
        threads = [threading.Thread(target=self._task, args=(name, gate), name=f"up-{name}")
                   for name in order]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.errors:
            first = self.errors[0]
            first.others = self.errors[1:]  # type: ignore[attr-defined]
            raise first

    def _task(self, name: str, gate: threading.Semaphore) -> None:
        outcome = self.outcomes[name]
        try:
            for dep in self.graph.successors(name):
                if dep in self.selected:
                    self._wait_for(name, dep, self.graph.edges[name, dep]["dep"])
            with gate:
                self.probes.start(name)
            outcome.ok = True
        except RichComposeError as exc:
            outcome.error = exc
            self.errors.append(exc)
        except Exception as exc:  # a bug must not hang the dependents
            outcome.error = RuntimeFailure(f"service {name!r}: {type(exc).__name__}: {exc}")
            self.errors.append(outcome.error)
        finally:
            outcome.done = True
            self.notifier.poke()

    def _wait_for(self, name: str, dep: str, condition: Dependency) -> None:
        try:
            self._condition_holds(name, dep, condition)
        except RichComposeError as exc:
            if condition.required:
                raise
            self.probes.warn(name, f"optional dependency {dep!r} did not meet "
                                   f"{condition.condition}: {exc.message}; starting anyway")

    def _condition_holds(self, name: str, dep: str, condition: Dependency) -> None:
        outcome = self.outcomes[dep]
        self.notifier.wait_for(lambda: outcome.done, None)
        if not outcome.ok:
            raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} failed",
                                 hint=outcome.error.message if outcome.error else "")
        if condition.condition == "service_completed_successfully":
            self.notifier.wait_for(lambda: self.probes.exit_code(dep) is not None, None)
            code = self.probes.exit_code(dep)
            if code != 0:
                raise RuntimeFailure(
                    f"service {name!r} not started: dependency {dep!r} did not complete "
                    f"successfully (exit code {code})",
                    hint="service_completed_successfully needs exit code 0")
        elif condition.condition == "service_healthy":
            self._wait_healthy(name, dep)

    def _wait_healthy(self, name: str, dep: str) -> None:
        if not self.probes.has_health(dep):
            raise RuntimeFailure(
                f"service {name!r} not started: dependency {dep!r} has no healthcheck, so it "
                "can never be healthy",
                hint=f"add a healthcheck to {dep!r} or use condition: service_started")
        while True:
            status = ""

            def settled() -> bool:
                nonlocal status
                status = self.probes.health(dep)
                return status in ("healthy", "unhealthy") or self.probes.exit_code(dep) is not None

            if self.notifier.wait_for(settled, SAFETY_WAKE):
                break
            self.probes.keep_monitor()
        if status == "healthy":
            return
        if status == "unhealthy":
            raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} is "
                                 "unhealthy", hint=f"see `richcompose inspect {dep}`")
        raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} exited "
                             f"with code {self.probes.exit_code(dep)} before it was healthy")
