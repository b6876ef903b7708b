"""The one dependency walk (forward for bring-up, reverse for stop), without containers."""

from __future__ import annotations

import threading

import pytest

from richcompose.engine.traversal import Edge, Outcome, Walk
from richcompose.errors import RichComposeError, RuntimeFailure

EDGES = [Edge("web", "db"), Edge("web", "cache"), Edge("worker", "db")]


def test_forward_visits_dependencies_before_dependents() -> None:
    seen: list[str] = []
    Walk(["web", "worker", "db", "cache"], EDGES).forward(seen.append)
    assert seen.index("db") < seen.index("web") and seen.index("cache") < seen.index("web")
    assert seen.index("db") < seen.index("worker")


def test_reverse_visits_dependents_before_dependencies() -> None:
    seen: list[str] = []
    Walk(["db", "cache", "web", "worker"], EDGES).reverse(seen.append)
    assert seen.index("web") < seen.index("db") and seen.index("worker") < seen.index("db")


def test_edges_to_nodes_outside_the_walk_are_ignored() -> None:
    seen: list[str] = []
    Walk(["web"], EDGES).forward(seen.append)
    assert seen == ["web"]


def test_a_failed_dependency_fails_its_dependents_and_not_the_others() -> None:
    seen: list[str] = []

    def visit(node: str) -> None:
        if node == "db":
            raise RuntimeFailure("db broke")
        seen.append(node)

    with pytest.raises(RichComposeError) as caught:
        Walk(["db", "cache", "web"], EDGES).forward(visit)
    assert seen == ["cache"]
    messages = [caught.value.message, *(e.message for e in caught.value.others)]  # type: ignore[attr-defined]
    assert "service 'web' not started: its dependency 'db' failed" in messages


def test_an_optional_dependency_that_fails_is_warned_about() -> None:
    seen: list[str] = []
    warnings: list[str] = []

    def visit(node: str) -> None:
        if node == "cache":
            raise RuntimeFailure("cache broke")
        seen.append(node)

    walk = Walk(["cache", "web"], [Edge("web", "cache", required=False)])
    with pytest.raises(RichComposeError):
        walk.forward(visit, warn=lambda node, message: warnings.append(message))
    assert seen == ["web"] and "starting anyway" in warnings[0]


def test_the_gate_runs_for_each_edge_after_the_dependency_is_visited() -> None:
    gated: list[tuple[str, str, bool]] = []

    def gate(edge: Edge[str], outcome: Outcome) -> None:
        gated.append((edge.dependent, edge.dependency, outcome.ok))

    Walk(["db", "web"], [Edge("web", "db", "service_healthy")]).forward(lambda n: None,
                                                                       gate=gate)
    assert gated == [("web", "db", True)]


def test_prepare_runs_ahead_of_the_gates_and_visits_stay_in_order() -> None:
    events: list[str] = []
    web_created = threading.Event()

    def prepare(node: str) -> None:
        events.append(f"create {node}")
        if node == "web":
            web_created.set()

    def visit(node: str) -> None:
        if node == "db":
            assert web_created.wait(5), "web's create waited for db's start"
        events.append(f"start {node}")

    Walk(["db", "web"], [Edge("web", "db")]).forward(visit, prepare=prepare)
    assert events == ["create db", "create web", "start db", "start web"]


def test_the_concurrency_limit_holds() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    def visit(node: str) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threading.Event().wait(0.01)
        with lock:
            running -= 1

    Walk([f"s{i}" for i in range(8)], [], parallel=2).forward(visit)
    assert peak <= 2


def test_reverse_visits_every_node_even_when_one_fails() -> None:
    seen: list[str] = []

    def visit(node: str) -> None:
        seen.append(node)
        if node == "web":
            raise RuntimeFailure("web would not stop")

    with pytest.raises(RichComposeError):
        Walk(["db", "web"], [Edge("web", "db")]).reverse(visit)
    assert seen == ["web", "db"]
