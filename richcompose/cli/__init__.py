"""Command line: parse arguments, call the stages, print. No logic lives here.

Each command group lives in its own module with a `register(subparsers)` that adds its
parsers and sets `handler` on them; this file only wires them together.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from functools import cache

from richcompose.cli import (
    build_cmds,
    config_cmds,
    image_cmds,
    inspect_cmds,
    kube_cmds,
    lifecycle_cmds,
    network_cmds,
    render_cmds,
    run_cmds,
    vm_cmds,
)
from richcompose.cli.context import CliContext, stderr_console
from richcompose.errors import RichComposeError, UsageError

COMMAND_GROUPS = (config_cmds, render_cmds, lifecycle_cmds, run_cmds, inspect_cmds, network_cmds,
                  image_cmds, build_cmds, kube_cmds, vm_cmds)


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
    parser.add_argument("--runtime",
                        help="OCI runtime binary: runc or crun (default $RICHCOMPOSE_RUNTIME, "
                             "else runc)")
    parser.add_argument("--registries-conf", metavar="FILE",
                        help="registries.conf to use (default $CONTAINERS_REGISTRIES_CONF, else "
                             "/etc/containers/registries.conf and registries.conf.d/)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


@cache
def parser() -> argparse.ArgumentParser:
    """The parser, built once a process (a warm server builds it before it forks)."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    ctx: CliContext | None = None
    try:
        args = parser().parse_args(argv)
        ctx = CliContext.from_args(args)
        return int(args.handler(ctx, args))
    except (RichComposeError, OSError) as exc:
        if debug:
            traceback.print_exc()
        console = ctx.err if ctx is not None else stderr_console()
        from richcompose.cli.console import labelled

        # Messages quote the user's text (`[HOST_IP:]...`): printed literally, never as markup.
        # An OSError is the host refusing something (disk full, permissions): one line too.
        console.print(labelled("error:", "bold red", str(exc)))
        if isinstance(exc, OSError):
            return 1
        for other in getattr(exc, "others", [])[:9]:
            console.print(labelled("error:", "red", str(other)))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
