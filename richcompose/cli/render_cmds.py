"""`render`: OCI bundles written for inspection, without starting anything."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from richcompose.cli.context import CliContext


def register(sub: Any) -> None:
    render = sub.add_parser("render", help="write OCI bundles without starting anything")
    render.add_argument("-o", "--output", required=True, help="directory for the bundles")
    render.add_argument("services", nargs="*")
    render.set_defaults(handler=render_command)


def render_command(ctx: CliContext, args: argparse.Namespace) -> int:
    for path in ctx.engine().render(ctx.load(), Path(args.output), args.services):
        ctx.out.print(str(path), markup=False)
    return 0
