"""One dependency walk for every order, as docker compose's graphTraversal: forward (bring-up,
start: a node once the conditions on its own dependencies hold, not in lockstep waves) and
reverse (stop, down: a node once every node depending on it is done), one thread per node, with
a concurrency limit. The nodes and edges come from the project's graph or, without a project
file, from the stored records (see plan.py); the walk itself knows neither."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from richcompose.errors import RichComposeError, RuntimeFailure

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class Edge(Generic[N]):
    """`dependent` needs `dependency`; `condition` is compose's depends_on condition."""

    dependent: N
    dependency: N
    condition: str = "service_started"
    required: bool = True


@dataclass
class Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    prepared: threading.Event = field(default_factory=threading.Event)
    error: RichComposeError | None = None

    @property
    def ok(self) -> bool:
        return self.done.is_set() and self.error is None


Visit = Callable[[N], None]
# Blocks until the edge's condition holds (the dependency has finished its visit); raises a
# RichComposeError when it never can.
Gate = Callable[[Edge[N], Outcome], None]


class Walk(Generic[N]):
    def __init__(self, nodes: Sequence[N], edges: Iterable[Edge[N]], *,
                 parallel: int | None = None, label: Callable[[N], str] = str,
                 on_done: Callable[[], None] = lambda: None) -> None:
        self.nodes = list(nodes)
        known = set(self.nodes)
        # Edges to nodes outside the walk are ignored (`--no-deps`, a subset of services).
        self.edges = [e for e in edges if e.dependent in known and e.dependency in known]
        self.parallel = max(1, parallel or len(self.nodes) or 1)
        self.label = label
        self.on_done = on_done
        self.outcomes: dict[N, Outcome] = {}

    def dependencies(self, node: N) -> list[Edge[N]]:
        return [e for e in self.edges if e.dependent == node]

    def dependents(self, node: N) -> list[Edge[N]]:
        return [e for e in self.edges if e.dependency == node]

    def forward(self, visit: Visit[N], *, gate: Gate[N] | None = None,
                prepare: Visit[N] | None = None,
                warn: Callable[[N, str], None] = lambda node, message: None) -> None:
        """`visit` each node once its dependencies' conditions hold. `prepare`, when given,
        runs before the gates and waits only until the dependencies are prepared (create
        ahead, start in order); a failed dependency fails its dependents unless optional."""
        slots = threading.Semaphore(self.parallel)

        def task(node: N) -> None:
            outcome = self.outcomes[node]
            try:
                if prepare is not None:
                    for edge in self.dependencies(node):
                        self.outcomes[edge.dependency].prepared.wait()
                    with slots:
                        prepare(node)
                    outcome.prepared.set()
                for edge in self.dependencies(node):
                    self._hold(edge, gate, warn)
                with slots:
                    visit(node)
            except RichComposeError as exc:
                outcome.error = exc
            except Exception as exc:  # a bug must not hang the dependents
                outcome.error = RuntimeFailure(
                    f"service {self.label(node)!r}: {type(exc).__name__}: {exc}")
            finally:
                outcome.prepared.set()
                outcome.done.set()
                self.on_done()

        self._run(task)

    def _hold(self, edge: Edge[N], gate: Gate[N] | None,
              warn: Callable[[N, str], None]) -> None:
        outcome = self.outcomes[edge.dependency]
        try:
            outcome.done.wait()
            if outcome.error is not None:
                raise RuntimeFailure(
                    f"service {self.label(edge.dependent)!r} not started: its dependency "
                    f"{self.label(edge.dependency)!r} failed", hint=outcome.error.message)
            if gate is not None:
                gate(edge, outcome)
        except RichComposeError as exc:
            if edge.required:
                raise
            warn(edge.dependent, f"optional dependency {self.label(edge.dependency)!r} did not "
                                 f"meet {edge.condition}: {exc.message}; starting anyway")

    def reverse(self, visit: Visit[N], then: Visit[N] | None = None) -> None:
        """`visit` each node once every node that depends on it is done (whatever its
        outcome: a failed stop must not strand the rest). `then` runs after the node's own
        dependencies were released: work the order does not need (a stopped container's
        removal) overlaps with the rest of the walk."""
        slots = threading.Semaphore(self.parallel)
        unexpected: list[BaseException] = []

        def task(node: N) -> None:
            outcome = self.outcomes[node]
            try:
                for edge in self.dependents(node):
                    self.outcomes[edge.dependent].done.wait()
                with slots:
                    try:
                        visit(node)
                    finally:
                        outcome.done.set()
                        self.on_done()
                        if then is not None:
                            then(node)
            except RichComposeError as exc:
                outcome.error = exc
            except BaseException as exc:  # reported after every node had its turn
                unexpected.append(exc)
                outcome.error = RuntimeFailure(f"{self.label(node)}: {exc}")
            finally:
                outcome.done.set()
                self.on_done()

        self._run(task, unexpected)

    def _run(self, task: Callable[[N], None], unexpected: Sequence[BaseException] = ()) -> None:
        self.outcomes = {node: Outcome() for node in self.nodes}
        threads = [threading.Thread(target=task, args=(node,), name=f"walk-{self.label(node)}")
                   for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if unexpected:
            raise unexpected[0]
        errors = [o.error for o in self.outcomes.values() if o.error is not None]
        if errors:
            first = errors[0]
            first.others = errors[1:]  # type: ignore[attr-defined]
            raise first
