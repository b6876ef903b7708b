"""Command line: parse arguments, call the stages, print. No logic lives here.

Each command group lives in its own module with a `register(subparsers)` that adds its
parsers and sets `handler` on them; this file only wires them together.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from richcompose.cli import (
    config_cmds,
    image_cmds,
    inspect_cmds,
    lifecycle_cmds,
    network_cmds,
    project_cmds,
    run_cmds,
    vm_cmds,
)
from richcompose.cli.context import CliContext
from richcompose.errors import RichComposeError, UsageError

COMMAND_GROUPS = (project_cmds, config_cmds, lifecycle_cmds, run_cmds, inspect_cmds, network_cmds,
                  image_cmds, vm_cmds)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="richcompose", description="Rich containers from compose files, on runc.")
    parser.add_argument("-f", "--file", action="append", default=[],
                        help="project file (repeatable)")
    parser.add_argument("-p", "--project-name", help="project name")
    parser.add_argument("--project-directory", help="base directory for relative paths")
    parser.add_argument("--profile", action="append", default=[],
                        help="enable services of this profile (repeatable; or COMPOSE_PROFILES)")
    parser.add_argument("--env-file", action="append", default=[],
                        help="variables for interpolation instead of the project's .env")
    parser.add_argument("--root",
                        help="state root (default $RICHCOMPOSE_ROOT or /var/lib/richcompose)")
    parser.add_argument("--runtime", default=os.environ.get("RICHCOMPOSE_RUNTIME", "runc"),
                        help="OCI runtime binary: runc (default) or crun")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=True, highlight=False, soft_wrap=True)  # one message, one line
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(CliContext.from_args(args, console), args))
    except RichComposeError as exc:
        if debug:
            traceback.print_exc()
        # Messages quote the user's text (`[HOST_IP:]...`), which must not be read as markup.
        console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        for other in getattr(exc, "others", [])[:9]:
            console.print(f"[red]error:[/] {escape(str(other))}", soft_wrap=True)
        return exc.exit_code
    except OSError as exc:  # the host refused something (disk full, permissions): one line
        if debug:
            traceback.print_exc()
        console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130
