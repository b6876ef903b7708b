"""The conditions on a dependency edge, as bring-up waits for them: `service_started` (its
start step finished), `service_healthy` (health checks run by the monitor),
`service_completed_successfully` (exit code 0). Waits are woken by inotify (waiting.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from richcompose.errors import RuntimeFailure

if TYPE_CHECKING:
    from richcompose.engine.traversal import Edge, Outcome
    from richcompose.engine.waiting import Notifier

SAFETY_WAKE = 1.0  # waits are woken by inotify; this only bounds a check of the monitor


@dataclass
class Probes:
    """How a gate looks at a started container, by container id (injected by the engine)."""

    exit_code: Callable[[str], int | None]
    health: Callable[[str], str]  # "", starting, healthy, unhealthy
    has_health: Callable[[str], bool]
    keep_monitor: Callable[[], None]  # restart the monitor if it died (health checks need it)


@dataclass
class Gates:
    probes: Probes
    notifier: Notifier
    label: Callable[[str], str] = str  # container id → the service name errors show

    def __call__(self, edge: Edge[str], outcome: Outcome) -> None:
        name, dep = self.label(edge.dependent), self.label(edge.dependency)
        if edge.condition == "service_completed_successfully":
            self.notifier.wait_for(lambda: self.probes.exit_code(edge.dependency) is not None,
                                   None)
            code = self.probes.exit_code(edge.dependency)
            if code != 0:
                raise RuntimeFailure(
                    f"service {name!r} not started: dependency {dep!r} did not complete "
                    f"successfully (exit code {code})",
                    hint="service_completed_successfully needs exit code 0")
        elif edge.condition == "service_healthy":
            self._wait_healthy(name, dep, edge.dependency)

    def _wait_healthy(self, name: str, dep: str, cid: str) -> None:
        if not self.probes.has_health(cid):
            raise RuntimeFailure(
                f"service {name!r} not started: dependency {dep!r} has no healthcheck, so it "
                "can never be healthy",
                hint=f"add a healthcheck to {dep!r} or use condition: service_started")
        while True:
            status = ""

            def settled() -> bool:
                nonlocal status
                status = self.probes.health(cid)
                return status in ("healthy", "unhealthy") or self.probes.exit_code(cid) is not None

            if self.notifier.wait_for(settled, SAFETY_WAKE):
                break
            self.probes.keep_monitor()
        if status == "healthy":
            return
        if status == "unhealthy":
            raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} is "
                                 "unhealthy", hint=f"see `richcompose inspect {dep}`")
        raise RuntimeFailure(f"service {name!r} not started: its dependency {dep!r} exited "
                             f"with code {self.probes.exit_code(cid)} before it was healthy")
