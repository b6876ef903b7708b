"""Project → dependency graph. Edges point from a service to what it depends on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from richcompose.config.models import Dependency, Project, Service
from richcompose.errors import GraphError

Where = tuple[str | int, ...]  # a path below the service, for error locations

if TYPE_CHECKING:
    DepGraph = nx.DiGraph[str]
else:
    DepGraph = nx.DiGraph


def build_graph(project: Project) -> DepGraph:
    """A DiGraph with an edge service → dependency carrying the `Dependency` as `dep`.

    Implicit dependencies (network_mode: service:x, volumes_from, links) are added as compose-go
    does. Unknown targets and cycles are errors that point at the line naming the dependency.
    """
    graph: DepGraph = nx.DiGraph()
    graph.add_nodes_from(project.services)
    for name, service in project.services.items():
        for target, dep, where in _dependencies(service):
            if target not in project.services:
                if not dep.required:
                    continue  # compose: an optional dependency may be absent
                raise GraphError(
                    f"service {name!r} depends on unknown service {target!r}",
                    location=project.locate(("services", name, *where), key=True),
                    hint=f"define service {target!r} or remove it from {name}'s {where[0]}",
                )
            if not graph.has_edge(name, target):
                graph.add_edge(name, target, dep=dep, where=where)
    path = find_cycle(graph)
    if path is None:
        return graph
    where = graph.edges[path[0], path[1]]["where"]
    raise GraphError(f"dependency cycle: {' -> '.join(path)}",
                     location=project.locate(("services", path[0], *where), key=True),
                     hint="remove one of these dependencies")


def find_cycle(graph: DepGraph) -> list[str] | None:
    """A dependency cycle as a path that ends where it starts, or None: one depth-first pass,
    O(services + edges). (networkx.find_cycle restarts its search per node and is quadratic on
    a long depends_on chain: 9-19 s for 1,000 services.)"""
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        path = [root]
        on_path = {root: 0}
        pending = [iter(graph.successors(root))]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                pending.pop()
                done.add(path[-1])
                del on_path[path.pop()]
            elif target in on_path:
                return [*path[on_path[target]:], target]
            elif target not in done:
                on_path[target] = len(path)
                path.append(target)
                pending.append(iter(graph.successors(target)))
    return None


def _dependencies(service: Service) -> Iterable[tuple[str, Dependency, Where]]:
    for target, dep in service.depends_on.items():
        yield target, dep, ("depends_on", target)
    implicit = Dependency()
    mode = service.network_mode
    if mode and mode.startswith("service:"):
        yield mode.removeprefix("service:"), implicit, ("network_mode",)
    for index, source in enumerate(service.volumes_from):
        if not source.startswith("container:"):
            yield source.split(":")[0], implicit, ("volumes_from", index)
    for index, link in enumerate(service.links):
        yield link.split(":")[0], implicit, ("links", index)


def start_order(graph: DepGraph) -> list[str]:
    """Dependencies before dependents; ties broken by name so output is stable."""
    return list(nx.lexicographical_topological_sort(graph.reverse(copy=False)))


def stop_order(graph: DepGraph) -> list[str]:
    """Dependents before their dependencies."""
    return list(reversed(start_order(graph)))


def select(graph: DepGraph, services: Iterable[str], *, with_dependencies: bool = True) -> set[str]:
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


def _edges(graph: DepGraph, name: str) -> list[tuple[str, str]]:
    """(dependency, label) of one service, by name; the label is the condition to wait for."""
    out = []
    for target in sorted(graph.successors(name)):
        dep: Dependency = graph.edges[name, target]["dep"]
        label = dep.condition.removeprefix("service_")
        if not dep.required:
            label += ", optional"
        out.append((target, label))
    return out


def to_text(graph: DepGraph) -> str:
    """One line per service in start order, with what it waits for."""
    lines = []
    for name in start_order(graph):
        needs = ", ".join(f"{t} ({label})" for t, label in _edges(graph, name))
        lines.append(f"{name} <- {needs}" if needs else name)
    return "\n".join(lines)


def to_dot(graph: DepGraph, title: str = "project") -> str:
    lines = [f'digraph "{title}" {{', "  rankdir=LR;"]
    for name in start_order(graph):
        lines.append(f'  "{name}";')
        lines += [f'  "{name}" -> "{t}" [label="{label}"];' for t, label in _edges(graph, name)]
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(graph: DepGraph) -> str:
    # Mermaid ids must be plain words; a service name can hold '.', so ids are indexes.
    order = start_order(graph)
    ids = {name: f"s{i}" for i, name in enumerate(order)}
    lines = ["graph LR"]
    lines += [f'  {ids[n]}["{n}"]' for n in order]
    for name in order:
        lines += [f"  {ids[name]} -->|{label}| {ids[t]}" for t, label in _edges(graph, name)]
    return "\n".join(lines)
