"""`up`, `down`, `stop`: creating, starting, stopping and removing containers."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.cli.logview import LogPrinter
from richcompose.logs import follow


def register(sub: Any) -> None:
    up = sub.add_parser("up", help="create and start containers")
    up.add_argument("-d", "--detach", action="store_true", help="return once started")
    up.add_argument("--no-deps", action="store_true", help="do not start dependencies")
    up.add_argument("--parallel", type=int, help="at most N services start at once")
    up.add_argument("services", nargs="*")
    up.set_defaults(handler=up_command)

    down = sub.add_parser("down", help="stop and remove containers, mounts and state")
    down.add_argument("-v", "--volumes", action="store_true", help="remove named volumes too")
    down.add_argument("-t", "--timeout", type=float, help="seconds before SIGKILL")
    down.set_defaults(handler=down_command)

    stop = sub.add_parser("stop", help="stop containers")
    stop.add_argument("-t", "--timeout", type=float)
    stop.add_argument("services", nargs="*")
    stop.set_defaults(handler=stop_command)


def up_command(ctx: CliContext, args: argparse.Namespace) -> int:
    project = ctx.load()
    engine = ctx.engine()
    engine.up(project, services=args.services, no_deps=args.no_deps, parallel=args.parallel)
    if args.detach:
        return 0
    # Foreground: stream prefixed logs until every container has exited; Ctrl-C stops them.
    files = engine.log_files(project.name)
    printer = LogPrinter(ctx.out, list(files))
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        def running() -> bool:
            return not interrupted.is_set() and any(
                s.state in ("running", "created", "paused") for s in engine.ps(project.name))
        follow(files, printer.emit, keep_going=running)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        ctx.err.print("Gracefully stopping... (press Ctrl-C again to force)")
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        engine.stop(project.name)
    return 0


def down_command(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.engine().down(ctx.project_name(), volumes=args.volumes, timeout=args.timeout)
    return 0


def stop_command(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.engine().stop(ctx.project_name(), args.services, timeout=args.timeout)
    return 0
