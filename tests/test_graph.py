"""DepGraph against networkx, which it replaced: on random DAGs the start order is exactly
networkx's lexicographical topological sort of the reversed graph (dependencies first, smallest
name at each step), and selection is networkx's descendants. networkx is a test-only dependency
for this check."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from richcompose.config.models import Dependency
from richcompose.errors import GraphError
from richcompose.graph import DepEdge, DepGraph, find_cycle, select, start_order, stop_order

Edges = list[tuple[str, str]]
names = st.lists(st.text(alphabet="abcdz-.0", min_size=1, max_size=3), unique=True, max_size=30)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], Edges]:
    """Nodes in a random insertion order; edges only from a later to an earlier node of another
    random order, so the graph is acyclic while neither order follows the names."""
    ranked = draw(names)
    count = len(ranked)
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)) if count else st.nothing()
    edges = [(ranked[max(a, b)], ranked[min(a, b)])
             for a, b in draw(st.lists(pairs, max_size=3 * count)) if a != b]
    return draw(st.permutations(ranked)), edges


def both(nodes: list[str], edges: Edges) -> tuple[DepGraph, nx.DiGraph[str]]:
    ours = DepGraph(nodes)
    theirs: nx.DiGraph[str] = nx.DiGraph()
    theirs.add_nodes_from(nodes)
    for source, target in edges:
        if not ours.has_edge(source, target):
            ours.add_edge(source, target, dep=Dependency(), where=("depends_on", target))
        theirs.add_edge(source, target)
    return ours, theirs


@settings(max_examples=200, deadline=None)
@given(dags())
def test_start_order_is_networkx_lexicographical_order_of_the_reversed_graph(
        dag: tuple[list[str], Edges]) -> None:
    ours, theirs = both(*dag)
    assert start_order(ours) == list(nx.lexicographical_topological_sort(theirs.reverse()))
    assert stop_order(ours) == start_order(ours)[::-1]


@settings(max_examples=200, deadline=None)
@given(dags(), st.data())
def test_selection_is_the_named_services_and_their_networkx_descendants(
        dag: tuple[list[str], Edges], data: st.DataObject) -> None:
    ours, theirs = both(*dag)
    named = data.draw(st.lists(st.sampled_from(dag[0]), max_size=3)) if dag[0] else []
    expected = set(named).union(*(nx.descendants(theirs, name) for name in named))
    assert select(ours, named) == expected
    assert select(ours, named, with_dependencies=False) == set(named)


@settings(max_examples=200, deadline=None)
@given(dags(), st.data())
def test_a_back_edge_makes_a_cycle_that_is_a_path_of_real_edges(
        dag: tuple[list[str], Edges], data: st.DataObject) -> None:
    nodes, edges = dag
    ours, theirs = both(nodes, edges)
    assert find_cycle(ours) is None
    if not edges:
        return
    source, target = data.draw(st.sampled_from(edges))
    ours.add_edge(target, source, dep=Dependency(), where=("depends_on", source))
    cycle = find_cycle(ours)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert all(ours.has_edge(a, b) for a, b in zip(cycle, cycle[1:], strict=False))


def test_nodes_keep_insertion_order_and_an_edge_keeps_its_first_data() -> None:
    graph = DepGraph(["web"])
    first, second = Dependency(condition="service_healthy"), Dependency()
    graph.add_edge("web", "db", dep=first, where=("depends_on", "db"))
    graph.add_edge("web", "db", dep=second, where=("links", 0))
    graph.add_edge("cache", "redis", dep=second, where=("links", 0))
    assert list(graph) == ["web", "db", "cache", "redis"] and len(graph) == 4 and "db" in graph
    assert graph.edge("web", "db") == DepEdge(first, ("depends_on", "db"))
    assert [(s, t) for s, t, _ in graph.edges()] == [("web", "db"), ("cache", "redis")]
    assert list(graph.successors("web")) == ["db"] and not graph.has_edge("db", "web")


def test_start_order_of_a_hand_built_cycle_is_a_graph_error_not_a_graphlib_one() -> None:
    graph = DepGraph()
    graph.add_edge("a", "b", dep=Dependency(), where=("depends_on", "b"))
    graph.add_edge("b", "a", dep=Dependency(), where=("depends_on", "a"))
    with pytest.raises(GraphError, match=r"dependency cycle: a -> b -> a"):
        start_order(graph)
