"""Foreground `up`: prefixed, coloured log streams until every container has exited, with
compose's abort options; Ctrl-C stops gracefully, a second Ctrl-C kills."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

from richcompose.cli.context import CliContext
from richcompose.logs import follow
from richcompose.runtime import supervised

if TYPE_CHECKING:
    from richcompose.engine import Engine


def attach(ctx: CliContext, engine: Engine, project_name: str, args: argparse.Namespace) -> int:
    from richcompose.cli.logview import LogPrinter

    records = [r for r in engine.records(project_name) if not r.one_off]
    files = engine.log_files(project_name)
    printer = LogPrinter(ctx.out, list(files))
    ppaths = engine.paths.project(project_name)
    abort_on_exit = args.abort_on_container_exit or bool(args.exit_code_from)
    interrupted = threading.Event()
    aborted: list[tuple[str, int]] = []

    def keep_going() -> bool:
        if interrupted.is_set():
            return False
        alive = False
        for record in records:
            code = engine.exit_code(project_name, record.id)
            if code is None or supervised.path_of(ppaths, record.id).exists():
                alive = True  # running, or about to be restarted by the monitor
            if code is not None and (abort_on_exit or (args.abort_on_container_failure and code)):
                aborted.append((record.service, code))
                return False
        return alive

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        interrupted.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        follow(files, printer.emit, keep_going=keep_going)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if interrupted.is_set() or aborted:
            if interrupted.is_set():
                ctx.err.print("Gracefully stopping... (press Ctrl-C again to force)")
            else:
                ctx.err.print(f"Aborting on container exit ({aborted[0][0]} exited with "
                              f"code {aborted[0][1]})...")
            engine.stop(project_name, timeout=args.timeout)
    except KeyboardInterrupt:
        ctx.err.print("Killing...")
        engine.kill(project_name, signal="KILL")
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.exit_code_from:
        record = engine.container_for(project_name, args.exit_code_from)
        return engine.exit_code(project_name, record.id) or 0
    if aborted:
        return aborted[0][1]
    return 130 if interrupted.is_set() else 0
