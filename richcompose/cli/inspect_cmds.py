"""`ps`, `logs`, `exec`, `top`, `inspect`, `ls`, `events`: looking at and into containers."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.errors import UsageError
from richcompose.logs import follow, parse_since, read_last_lines, read_lines, tail
from richcompose.runtime.events import follow_events, read_events


def register(sub: Any) -> None:
    ps = sub.add_parser("ps", help="list containers")
    ps.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    ps.add_argument("--format", choices=("table", "json"), default="table")
    ps.add_argument("-q", "--quiet", action="store_true")
    ps.add_argument("services", nargs="*")
    ps.set_defaults(handler=ps_command)

    logs = sub.add_parser("logs", help="show container output")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int)
    logs.add_argument("--since", help="RFC 3339 time or a duration such as 10m")
    logs.add_argument("-t", "--timestamps", action="store_true")
    logs.add_argument("--no-log-prefix", action="store_true")
    logs.add_argument("services", nargs="*")
    logs.set_defaults(handler=logs_command)

    exec_ = sub.add_parser("exec", help="run a command in a running service container")
    exec_.add_argument("-d", "--detach", action="store_true", help="run in the background")
    exec_.add_argument("-T", "--no-tty", dest="no_tty", action="store_true",
                       help="no pseudo-terminal")
    # docker's -i/-t (and -it, -ti): accepted as compose accepts them; a terminal is used
    # whenever stdin is one, unless -T.
    exec_.add_argument("-i", "--interactive", action="store_true",
                       help="keep stdin open (always so here)")
    exec_.add_argument("-t", "--tty", action="store_true",
                       help="allocate a pseudo-terminal (the default when stdin is a terminal)")
    exec_.add_argument("-e", "--env", action="append", default=[])
    exec_.add_argument("-u", "--user")
    exec_.add_argument("-w", "--workdir")
    exec_.add_argument("--index", type=int, default=1,
                       help="which replica of the service (default 1), as in compose")
    exec_.add_argument("service")
    exec_.add_argument("cmd", nargs=argparse.REMAINDER)
    exec_.set_defaults(handler=exec_command)

    top = sub.add_parser("top", help="processes of each service's container")
    top.add_argument("services", nargs="*")
    top.set_defaults(handler=top_command)

    inspect = sub.add_parser("inspect", help="a service container's state, health and settings")
    inspect.add_argument("services", nargs="+")
    inspect.set_defaults(handler=inspect_command)

    ls = sub.add_parser("ls", help="projects under this state root")
    ls.add_argument("--format", choices=("table", "json"), default="table")
    ls.set_defaults(handler=ls_command)

    events = sub.add_parser("events", help="container lifecycle events as they happen")
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    events.add_argument("--history", action="store_true",
                        help="print the events recorded so far and exit")
    events.set_defaults(handler=events_command)


def ps_command(ctx: CliContext, args: argparse.Namespace) -> int:
    rows = ctx.status().ps(ctx.project_name())
    if args.services:
        rows = [r for r in rows if r.service in args.services]
    if not args.all:
        rows = [r for r in rows if r.state in ("running", "paused", "created")]
    if args.quiet:
        ctx.write("\n".join(r.container for r in rows))
    elif args.format == "json":
        ctx.write(json.dumps([r.to_json() for r in rows]))
    else:
        from richcompose.engine.disk import human_size
        vms = any(r.boot or r.disk for r in rows)  # VM columns only when there is a VM
        ctx.table(("SERVICE", "CONTAINER", "STATE", "HEALTH", "PID", "EXIT CODE", "RESTARTS",
                   *(("BOOT", "DISK") if vms else ())),
                  [(r.service, r.container, r.state, r.health, str(r.pid or ""),
                    "" if r.exit_code is None else str(r.exit_code), str(r.restarts),
                    # the disk's place: --format json
                    *((r.boot, "" if not r.disk else human_size(r.disk_size or 0))
                      if vms else ())) for r in rows])
    return 0


def logs_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.cli.logview import LogPrinter

    engine = ctx.status()
    name = ctx.project_name()
    files = engine.log_files(name, args.services)
    printer = LogPrinter(ctx.out, list(files), prefix=not args.no_log_prefix,
                         timestamps=args.timestamps)
    since = parse_since(args.since, time.time()) if args.since else None
    merged = []
    for service, path in files.items():
        if since is None and args.tail is not None and args.tail >= 0:
            lines = read_last_lines(path, args.tail)
        else:
            lines = tail([line for line in read_lines(path)
                          if since is None or line.epoch >= since], args.tail)
        merged += [(line.time, service, line) for line in lines]
    for _, service, line in sorted(merged, key=lambda item: item[0]):
        printer.emit(service, line)
    if args.follow:
        # As compose: follow until no container of the selection is running any more.
        # A container the monitor still supervises (a VM rebooting, a restart policy) is
        # coming back: its next run's output is followed too.
        from richcompose.runtime import supervised
        ppaths = engine.paths.project(name)

        def running() -> bool:
            return any(row.service in files and (row.state in ("running", "paused")
                                                 or supervised.load(ppaths, row.container))
                       for row in engine.ps(name))
        follow(files, printer.emit, keep_going=running, from_start=False)
    return 0


def exec_command(ctx: CliContext, args: argparse.Namespace) -> int:
    if not args.cmd:
        raise UsageError("exec needs a command", hint="e.g. richcompose exec app ps")
    engine = ctx.status()
    record = engine.container_for(ctx.project_name(), args.service, args.index)
    env = dict(item.split("=", 1) if "=" in item else (item, ctx.environ.get(item, ""))
               for item in args.env)
    tty = sys.stdin.isatty() and not args.no_tty and not args.detach
    argv = engine.runtime(record.runtime).exec_argv(record.id, args.cmd, env=env, user=args.user,
                                                    cwd=args.workdir, tty=tty,
                                                    detach=args.detach)
    if args.detach:
        # The detached process must not hold our stdout: a caller reading it through a pipe
        # would wait for it. runc's own errors still reach stderr through a file.
        with tempfile.TemporaryFile() as errors:
            code = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors)
            errors.seek(0)
            if code:
                sys.stderr.write(errors.read().decode(errors="replace"))
            return code
    return subprocess.call(argv)


def top_command(ctx: CliContext, args: argparse.Namespace) -> int:
    engine = ctx.status()
    name = ctx.project_name()
    services = args.services or [s.service for s in engine.ps(name) if s.state == "running"]
    for service in services:
        ctx.table(("PID", "UID", "CMD"),
                  [(str(pid), uid, cmd) for pid, uid, cmd in engine.top(name, service)],
                  title=service)
    return 0


def inspect_command(ctx: CliContext, args: argparse.Namespace) -> int:
    engine = ctx.status()
    name = ctx.project_name()
    ctx.write(json.dumps([engine.inspect(name, s) for s in args.services], indent=2))
    return 0


def ls_command(ctx: CliContext, args: argparse.Namespace) -> int:
    rows = ctx.status().projects()
    if args.format == "json":
        ctx.write(json.dumps(rows))
        return 0
    ctx.table(("NAME", "STATUS", "DIRECTORY"),
              [(row["Name"], row["Status"], row["ConfigFiles"]) for row in rows])
    return 0


def events_command(ctx: CliContext, args: argparse.Namespace) -> int:
    path = ctx.paths.project(ctx.project_name()).events

    def emit(event: dict[str, Any]) -> None:
        if args.json:
            ctx.out.print(json.dumps(event), markup=False)
        else:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["time"]))
            ctx.out.print(f"{stamp} container {event['action']} {event['id']} "
                          f"(service={event['service']})", markup=False)

    if args.history:
        for event in read_events(path):
            emit(event)
        return 0
    follow_events(path, emit, keep_going=lambda: True)
    return 0
