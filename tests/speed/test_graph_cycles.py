"""The dependency-cycle check: the path it names, and that it is one linear pass."""

from __future__ import annotations

import networkx as nx

from richcompose.graph import find_cycle


def chain(count: int) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(f"s{i}" for i in range(count))
    graph.add_edges_from((f"s{i}", f"s{i - 1}") for i in range(1, count))
    return graph


def test_a_cycle_is_named_as_a_path_that_ends_where_it_starts() -> None:
    graph = chain(5)
    graph.add_edge("s0", "s3")
    assert find_cycle(graph) == ["s0", "s3", "s2", "s1", "s0"]


def test_a_self_dependency_is_a_cycle_of_one() -> None:
    graph = chain(3)
    graph.add_edge("s1", "s1")
    assert find_cycle(graph) == ["s1", "s1"]


def test_a_diamond_is_no_cycle() -> None:
    graph: nx.DiGraph[str] = nx.DiGraph([("app", "a"), ("app", "b"), ("a", "db"), ("b", "db")])
    assert find_cycle(graph) is None


def test_each_edge_of_a_long_chain_is_followed_once() -> None:
    graph = chain(3000)
    followed = 0
    successors = graph.successors

    def counting(node: str):  # type: ignore[no-untyped-def]
        nonlocal followed
        for target in successors(node):
            followed += 1
            yield target

    graph.successors = counting  # type: ignore[method-assign]
    assert find_cycle(graph) is None
    assert followed == 2999
