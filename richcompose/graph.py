"""Project → dependency graph. Edges point from a service to what it depends on."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from richcompose.config.models import Dependency, Project
from richcompose.errors import GraphError


def build_graph(project: Project) -> nx.DiGraph:
    """A DiGraph with an edge service → dependency carrying the `Dependency` as `dep`.

    Implicit dependencies (network_mode: service:x, volumes_from, links) are added as compose-go
    does. Unknown targets and cycles are errors.
    """
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(project.services)
    for name, service in project.services.items():
        for target, dep in _dependencies(service.depends_on, service.network_mode,
                                         service.volumes_from, service.links):
            if target not in project.services:
                if not dep.required:
                    continue  # compose: an optional dependency may be absent
                raise GraphError(
                    f"service {name!r} depends on unknown service {target!r}",
                    location=project.locate(("services", name, "depends_on", target), key=True),
                    hint=f"define service {target!r} or remove it from {name}'s depends_on",
                )
            graph.add_edge(name, target, dep=dep)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    path = [edge[0] for edge in cycle] + [cycle[0][0]]
    raise GraphError(f"dependency cycle: {' -> '.join(path)}",
                     location=project.locate(("services", path[0], "depends_on", path[1]), key=True),
                     hint="remove one of these depends_on entries")


def _dependencies(depends_on: dict[str, Dependency], network_mode: str | None,
                  volumes_from: list[str], links: list[str]) -> Iterable[tuple[str, Dependency]]:
    yield from depends_on.items()
    implicit = Dependency()
    if network_mode and network_mode.startswith("service:"):
        yield network_mode.removeprefix("service:"), implicit
    for source in volumes_from:
        if not source.startswith("container:"):
            yield source.split(":")[0], implicit
    for link in links:
        yield link.split(":")[0], implicit


def start_order(graph: nx.DiGraph) -> list[str]:
    """Dependencies before dependents; ties broken by name so output is stable."""
    return list(nx.lexicographical_topological_sort(graph.reverse(copy=False)))


def stop_order(graph: nx.DiGraph) -> list[str]:
    """Dependents before their dependencies."""
    return list(reversed(start_order(graph)))


def select(graph: nx.DiGraph, services: Iterable[str], *, with_dependencies: bool = True) -> set[str]:
    """The named services, plus everything they depend on unless `with_dependencies` is False."""
    chosen: set[str] = set()
    for name in services:
        if name not in graph:
            raise GraphError(f"no such service: {name!r}",
                             hint=f"services are: {', '.join(sorted(graph)) or 'none'}")
        chosen.add(name)
        if with_dependencies:
            chosen |= nx.descendants(graph, name)
    return chosen
