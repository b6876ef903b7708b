"""Command line: parse arguments, call the stages, print. No logic lives here."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from richcompose.config import LoadOptions, Project, load_project
from richcompose.config.dump import dump_project
from richcompose.engine import Engine
from richcompose.errors import RichComposeError, UsageError
from richcompose.logs import LogLine, follow, read_lines, tail
from richcompose.state import StatePaths, state_root

COLOURS = ("cyan", "yellow", "green", "magenta", "blue", "bright_red", "bright_cyan")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="richcompose", description="Rich containers from compose files, on runc.")
    parser.add_argument("-f", "--file", action="append", default=[], help="project file (repeatable)")
    parser.add_argument("-p", "--project-name", help="project name")
    parser.add_argument("--project-directory", help="base directory for relative paths")
    parser.add_argument("--root", help="state root (default $RICHCOMPOSE_ROOT or /var/lib/richcompose)")
    parser.add_argument("--runtime", default=os.environ.get("RICHCOMPOSE_RUNTIME", "runc"),
                        help="OCI runtime binary: runc (default) or crun")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    config = sub.add_parser("config", help="validate and print the normalised project")
    config.add_argument("--format", choices=("yaml", "json"), default="yaml")
    config.add_argument("-q", "--quiet", action="store_true", help="only validate")
    config.add_argument("--services", action="store_true", help="print service names")

    up = sub.add_parser("up", help="create and start containers")
    up.add_argument("-d", "--detach", action="store_true", help="return once started")
    up.add_argument("--no-deps", action="store_true", help="do not start dependencies")
    up.add_argument("--parallel", type=int, help="at most N services start at once")
    up.add_argument("services", nargs="*")

    down = sub.add_parser("down", help="stop and remove containers, mounts and state")
    down.add_argument("-v", "--volumes", action="store_true", help="remove named volumes too")
    down.add_argument("-t", "--timeout", type=float, help="seconds before SIGKILL")

    stop = sub.add_parser("stop", help="stop containers")
    stop.add_argument("-t", "--timeout", type=float)
    stop.add_argument("services", nargs="*")

    ps = sub.add_parser("ps", help="list containers")
    ps.add_argument("--format", choices=("table", "json"), default="table")
    ps.add_argument("-q", "--quiet", action="store_true")

    logs = sub.add_parser("logs", help="show container output")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int)
    logs.add_argument("-t", "--timestamps", action="store_true")
    logs.add_argument("--no-log-prefix", action="store_true")
    logs.add_argument("services", nargs="*")

    exec_ = sub.add_parser("exec", help="run a command in a running service container")
    exec_.add_argument("-T", dest="no_tty", action="store_true", help="no pseudo-terminal")
    exec_.add_argument("-e", "--env", action="append", default=[])
    exec_.add_argument("-u", "--user")
    exec_.add_argument("-w", "--workdir")
    exec_.add_argument("service")
    exec_.add_argument("cmd", nargs=argparse.REMAINDER)

    render = sub.add_parser("render", help="write OCI bundles without starting anything")
    render.add_argument("-o", "--output", required=True, help="directory for the bundles")
    render.add_argument("services", nargs="*")
    return parser


def _load(args: argparse.Namespace) -> Project:
    files = tuple(Path(f) for f in args.file)
    directory = Path(args.project_directory) if args.project_directory else None
    return load_project(LoadOptions(files=files, project_name=args.project_name,
                                    project_directory=directory))


def _project_name(args: argparse.Namespace) -> str:
    """Commands that only act on state work even when the project file is gone, given -p."""
    if args.project_name and not args.file:
        from richcompose.config.loader import normalize_project_name
        return normalize_project_name(args.project_name)
    return _load(args).name


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=True, highlight=False)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args, console)
    except RichComposeError as exc:
        if debug:
            traceback.print_exc()
        console.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        for other in getattr(exc, "others", [])[:9]:
            console.print(f"[red]error:[/] {other}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    paths = StatePaths(state_root(args.root))
    out = Console(highlight=False, soft_wrap=True)

    def report(service: str, message: str) -> None:
        console.print(f"[bold]{service}[/] {message}" if service else message)

    engine = Engine(paths, runtime=args.runtime, report=report)
    command = args.command
    if command == "config":
        project = _load(args)
        if args.quiet:
            return 0
        if args.services:
            out.print("\n".join(project.services))
            return 0
        out.print(dump_project(project, args.format), markup=False)
        return 0
    if command == "up":
        project = _load(args)
        engine.up(project, services=args.services, no_deps=args.no_deps, parallel=args.parallel)
        if args.detach:
            return 0
        return _foreground(engine, project, out)
    if command == "down":
        engine.down(_project_name(args), volumes=args.volumes, timeout=args.timeout)
        return 0
    if command == "stop":
        engine.stop(_project_name(args), args.services, timeout=args.timeout)
        return 0
    if command == "ps":
        return _ps(engine, _project_name(args), args, out)
    if command == "logs":
        return _logs(engine, _project_name(args), args, out)
    if command == "exec":
        return _exec(engine, _project_name(args), args)
    if command == "render":
        return _render(engine, _load(args), args, out)
    raise UsageError(f"unknown command {command!r}")


def _ps(engine: Engine, name: str, args: argparse.Namespace, out: Console) -> int:
    rows = engine.ps(name)
    if args.quiet:
        out.print("\n".join(r.container for r in rows))
    elif args.format == "json":
        out.print(json.dumps([r.__dict__ for r in rows]), markup=False)
    else:
        table = Table("SERVICE", "CONTAINER", "STATE", "PID", "EXIT CODE", box=None)
        for r in rows:
            table.add_row(r.service, r.container, r.state, str(r.pid or ""),
                          "" if r.exit_code is None else str(r.exit_code))
        out.print(table)
    return 0


def _printer(out: Console, services: Sequence[str], args: argparse.Namespace):  # type: ignore[no-untyped-def]
    width = max((len(s) for s in services), default=0)
    colours = {s: COLOURS[i % len(COLOURS)] for i, s in enumerate(sorted(services))}
    lock = threading.Lock()

    def emit(service: str, line: LogLine) -> None:
        prefix = "" if getattr(args, "no_log_prefix", False) else \
            f"[{colours.get(service, 'white')}]{service.ljust(width)} |[/] "
        stamp = f"{line.time} " if getattr(args, "timestamps", False) else ""
        with lock:
            out.print(f"{prefix}{stamp}", end="")
            out.print(line.text, markup=False, highlight=False)
    return emit


def _logs(engine: Engine, name: str, args: argparse.Namespace, out: Console) -> int:
    files = engine.log_files(name, args.services)
    emit = _printer(out, list(files), args)
    if args.follow:
        follow(files, emit, keep_going=lambda: True)
        return 0
    merged = []
    for service, path in files.items():
        merged += [(line.time, service, line) for line in tail(list(read_lines(path)), args.tail)]
    for _, service, line in sorted(merged, key=lambda item: item[0]):
        emit(service, line)
    return 0


def _foreground(engine: Engine, project: Project, out: Console) -> int:
    """Streams prefixed logs until every container has exited; Ctrl-C stops them all."""
    files = engine.log_files(project.name)
    emit = _printer(out, list(files), argparse.Namespace())
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        def running() -> bool:
            return not stop.is_set() and any(s.state in ("running", "created", "paused")
                                              for s in engine.ps(project.name))
        follow(files, emit, keep_going=running)
    finally:
        signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        out.print("Gracefully stopping... (press Ctrl-C again to force)")
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        engine.stop(project.name)
    return 0


def _exec(engine: Engine, name: str, args: argparse.Namespace) -> int:
    record = engine.container_for(name, args.service)
    if not args.cmd:
        raise UsageError("exec needs a command", hint="e.g. richcompose exec app ps")
    env = dict(item.split("=", 1) if "=" in item else (item, os.environ.get(item, ""))
               for item in args.env)
    tty = sys.stdin.isatty() and not args.no_tty
    argv = engine.runtime(record.runtime).exec_argv(record.id, args.cmd, env=env, user=args.user,
                                                     cwd=args.workdir, tty=tty)
    return subprocess.call(argv)


def _render(engine: Engine, project: Project, args: argparse.Namespace, out: Console) -> int:
    written = engine.render(project, Path(args.output), args.services)
    for path in written:
        out.print(str(path), markup=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
