"""`config` and `graph`: what the project files say, and in which order services start."""

from __future__ import annotations

import argparse
from typing import Any

from richcompose.cli.context import CliContext


def register(sub: Any) -> None:
    config = sub.add_parser("config", help="validate and print the normalised project")
    config.add_argument("--format", choices=("yaml", "json"), default="yaml")
    config.add_argument("-q", "--quiet", action="store_true", help="only validate")
    shown = config.add_mutually_exclusive_group()
    shown.add_argument("--services", action="store_true", help="print service names")
    shown.add_argument("--volumes", action="store_true", help="print named volume names")
    shown.add_argument("--profiles", action="store_true", help="print every profile named")
    config.add_argument("--no-interpolate", action="store_true",
                        help="print the files merged, with ${VAR} left as written")
    config.set_defaults(handler=config_command)

    graph = sub.add_parser("graph", help="print the dependency graph")
    graph.add_argument("--format", choices=("text", "dot", "mermaid"), default="text")
    graph.set_defaults(handler=graph_command)


def config_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.config.dump import dump_data, dump_project
    from richcompose.graph import build_graph

    if args.no_interpolate:
        data = ctx.load_document()
        if not args.quiet:
            ctx.out.print(dump_data(data, args.format), markup=False)
        return 0
    project = ctx.load()
    build_graph(project)  # a cycle is a bad project too
    if args.quiet:
        return 0
    if args.services:
        lines = list(project.services)
    elif args.volumes:
        lines = list(project.volumes)
    elif args.profiles:
        lines = project.all_profiles
    else:
        ctx.out.print(dump_project(project, args.format), markup=False)
        return 0
    if lines:
        ctx.out.print("\n".join(lines), markup=False)
    return 0


def graph_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.graph import build_graph, to_dot, to_mermaid, to_text

    project = ctx.load()
    graph = build_graph(project)
    if args.format == "dot":
        text = to_dot(graph, project.name)
    elif args.format == "mermaid":
        text = to_mermaid(graph)
    else:
        text = to_text(graph)
    ctx.out.print(text, markup=False)
    return 0
