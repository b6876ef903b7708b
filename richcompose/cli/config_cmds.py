"""`config` and `render`: what the project files say, without starting anything."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.config.dump import dump_project


def register(sub: Any) -> None:
    config = sub.add_parser("config", help="validate and print the normalised project")
    config.add_argument("--format", choices=("yaml", "json"), default="yaml")
    config.add_argument("-q", "--quiet", action="store_true", help="only validate")
    config.add_argument("--services", action="store_true", help="print service names")
    config.set_defaults(handler=config_command)

    render = sub.add_parser("render", help="write OCI bundles without starting anything")
    render.add_argument("-o", "--output", required=True, help="directory for the bundles")
    render.add_argument("services", nargs="*")
    render.set_defaults(handler=render_command)


def config_command(ctx: CliContext, args: argparse.Namespace) -> int:
    project = ctx.load()
    if args.quiet:
        return 0
    if args.services:
        ctx.out.print("\n".join(project.services), markup=False)
        return 0
    ctx.out.print(dump_project(project, args.format), markup=False)
    return 0


def render_command(ctx: CliContext, args: argparse.Namespace) -> int:
    for path in ctx.engine().render(ctx.load(), Path(args.output), args.services):
        ctx.out.print(str(path), markup=False)
    return 0
