"""The dependency-cycle check: the path it names, and that it, the start order and the
selection each follow every edge once (linear in services + edges)."""

from __future__ import annotations

from richcompose.config.models import Dependency
from richcompose.graph import DepGraph, find_cycle, select, start_order

DEP = Dependency()


def graph_of(*edges: tuple[str, str], nodes: tuple[str, ...] = ()) -> DepGraph:
    graph = DepGraph(nodes)
    for source, target in edges:
        graph.add_edge(source, target, dep=DEP, where=("depends_on", target))
    return graph


def chain(count: int) -> DepGraph:
    return graph_of(*((f"s{i}", f"s{i - 1}") for i in range(1, count)),
                    nodes=tuple(f"s{i}" for i in range(count)))


def test_a_cycle_is_named_as_a_path_that_ends_where_it_starts() -> None:
    graph = chain(5)
    graph.add_edge("s0", "s3", dep=DEP, where=("depends_on", "s3"))
    assert find_cycle(graph) == ["s0", "s3", "s2", "s1", "s0"]


def test_a_self_dependency_is_a_cycle_of_one() -> None:
    graph = chain(3)
    graph.add_edge("s1", "s1", dep=DEP, where=("depends_on", "s1"))
    assert find_cycle(graph) == ["s1", "s1"]


def test_a_diamond_is_no_cycle() -> None:
    graph = graph_of(("app", "a"), ("app", "b"), ("a", "db"), ("b", "db"))
    assert find_cycle(graph) is None


def counted(graph: DepGraph) -> list[int]:
    """Wraps the graph's successors so the returned counter holds how many edges were followed."""
    followed = [0]
    successors = graph.successors

    def counting(node: str):  # type: ignore[no-untyped-def]
        for target in successors(node):
            followed[0] += 1
            yield target

    graph.successors = counting  # type: ignore[method-assign]
    return followed


def test_each_edge_of_a_long_chain_is_followed_once() -> None:
    graph = chain(3000)
    followed = counted(graph)
    assert find_cycle(graph) is None
    assert followed == [2999]


def test_the_start_order_of_a_long_chain_follows_each_edge_once() -> None:
    graph = chain(3000)
    followed = counted(graph)
    assert start_order(graph) == [f"s{i}" for i in range(3000)]
    assert followed == [2999]


def test_selecting_with_dependencies_follows_each_edge_once() -> None:
    graph = chain(3000)
    followed = counted(graph)
    assert len(select(graph, ["s2999", "s1500", "s10"])) == 3000
    assert followed == [2999]
