"""`ps`, `logs`, `exec`: looking at and into running containers."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from rich.table import Table

from richcompose.cli.context import CliContext
from richcompose.cli.logview import LogPrinter
from richcompose.errors import UsageError
from richcompose.logs import follow, read_lines, tail


def register(sub: Any) -> None:
    ps = sub.add_parser("ps", help="list containers")
    ps.add_argument("--format", choices=("table", "json"), default="table")
    ps.add_argument("-q", "--quiet", action="store_true")
    ps.set_defaults(handler=ps_command)

    logs = sub.add_parser("logs", help="show container output")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int)
    logs.add_argument("-t", "--timestamps", action="store_true")
    logs.add_argument("--no-log-prefix", action="store_true")
    logs.add_argument("services", nargs="*")
    logs.set_defaults(handler=logs_command)

    exec_ = sub.add_parser("exec", help="run a command in a running service container")
    exec_.add_argument("-T", dest="no_tty", action="store_true", help="no pseudo-terminal")
    exec_.add_argument("-e", "--env", action="append", default=[])
    exec_.add_argument("-u", "--user")
    exec_.add_argument("-w", "--workdir")
    exec_.add_argument("service")
    exec_.add_argument("cmd", nargs=argparse.REMAINDER)
    exec_.set_defaults(handler=exec_command)


def ps_command(ctx: CliContext, args: argparse.Namespace) -> int:
    rows = ctx.engine().ps(ctx.project_name())
    if args.quiet:
        ctx.out.print("\n".join(r.container for r in rows), markup=False)
    elif args.format == "json":
        ctx.out.print(json.dumps([r.__dict__ for r in rows]), markup=False)
    else:
        table = Table("SERVICE", "CONTAINER", "STATE", "PID", "EXIT CODE", box=None)
        for r in rows:
            table.add_row(r.service, r.container, r.state, str(r.pid or ""),
                          "" if r.exit_code is None else str(r.exit_code))
        ctx.out.print(table)
    return 0


def logs_command(ctx: CliContext, args: argparse.Namespace) -> int:
    files = ctx.engine().log_files(ctx.project_name(), args.services)
    printer = LogPrinter(ctx.out, list(files), prefix=not args.no_log_prefix,
                         timestamps=args.timestamps)
    if args.follow:
        follow(files, printer.emit, keep_going=lambda: True)
        return 0
    merged = []
    for service, path in files.items():
        merged += [(line.time, service, line) for line in tail(list(read_lines(path)), args.tail)]
    for _, service, line in sorted(merged, key=lambda item: item[0]):
        printer.emit(service, line)
    return 0


def exec_command(ctx: CliContext, args: argparse.Namespace) -> int:
    if not args.cmd:
        raise UsageError("exec needs a command", hint="e.g. richcompose exec app ps")
    engine = ctx.engine()
    record = engine.container_for(ctx.project_name(), args.service)
    env = dict(item.split("=", 1) if "=" in item else (item, os.environ.get(item, ""))
               for item in args.env)
    tty = sys.stdin.isatty() and not args.no_tty
    argv = engine.runtime(record.runtime).exec_argv(record.id, args.cmd, env=env,
                                                    user=args.user, cwd=args.workdir, tty=tty)
    return subprocess.call(argv)
