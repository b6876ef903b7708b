"""`run`: a one-off container with a service's settings and another command."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.logs import LogLine, follow


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run a one-off command in a new container of a service")
    run.add_argument("--rm", action="store_true", help="remove the container when it exits")
    run.add_argument("-d", "--detach", action="store_true", help="print the id and return")
    run.add_argument("--no-deps", action="store_true", help="do not start dependencies")
    run.add_argument("-e", "--env", action="append", default=[])
    run.add_argument("-u", "--user")
    run.add_argument("-w", "--workdir")
    run.add_argument("--entrypoint")
    run.add_argument("-T", dest="no_tty", action="store_true",
                     help="accepted for compose compatibility; output is never a terminal")
    run.add_argument("service")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    run.set_defaults(handler=run_command)


def run_command(ctx: CliContext, args: argparse.Namespace) -> int:

    project = ctx.load()
    env = dict(item.split("=", 1) if "=" in item else (item, ctx.environ.get(item, ""))
               for item in args.env)
    with ctx.pull_progress() as progress:  # as `up`: bars while a missing image is pulled
        engine = ctx.engine(pull_progress=progress)
        record = engine.run_one_off(project, args.service, args.cmd or None,
                                    no_deps=args.no_deps, env=env, user=args.user,
                                    workdir=args.workdir,
                                    entrypoint=[args.entrypoint] if args.entrypoint else None)
    if args.detach:
        ctx.out.print(record.id, markup=False)
        return 0
    log = engine.paths.project(project.name).container(record.id).log
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())

    def emit(_: str, line: LogLine) -> None:
        ctx.out.print(line.text, markup=False, highlight=False)

    try:
        follow({args.service: log}, emit, keep_going=lambda: not interrupted.is_set() and
               engine.exit_code(project.name, record.id) is None, poll=0.02)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        engine.runtime(record.runtime).kill(record.id, record.stop_signal)
    code = engine.wait(project.name, record.id, timeout=record.stop_grace_period + 5)
    if args.rm:
        engine.remove_one_off(project.name, record)
    return 130 if interrupted.is_set() else (code if code is not None else 1)
