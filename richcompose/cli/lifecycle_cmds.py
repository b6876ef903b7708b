"""`up`, `down`, `start`, `stop`, `restart`, `kill`, `pause`, `unpause`, `wait`: creating,
starting, stopping and removing containers."""

from __future__ import annotations

import argparse
from typing import Any

from richcompose.cli import kube_cmds
from richcompose.cli.context import CliContext
from richcompose.cli.foreground import attach
from richcompose.errors import UsageError


def register(sub: Any) -> None:
    up = sub.add_parser("up", help="create and start containers")
    up.add_argument("-d", "--detach", action="store_true", help="return once started")
    up.add_argument("--no-deps", action="store_true", help="do not start dependencies")
    up.add_argument("--parallel", type=int, help="at most N services start at once")
    up.add_argument("--pull", choices=("always", "missing", "never"),
                    help="pull images before starting (default: each service's pull_policy, else missing)")
    up.add_argument("--build", action="store_true", help="build images before starting")
    up.add_argument("--no-build", action="store_true", help="do not build missing images")
    recreate = up.add_mutually_exclusive_group()
    recreate.add_argument("--force-recreate", action="store_true",
                          help="recreate containers even if their configuration is unchanged; "
                               "discards a VM's disk whose rootfs changed (with a warning)")
    recreate.add_argument("--no-recreate", action="store_true",
                          help="keep existing containers even if their configuration changed")
    up.add_argument("--remove-orphans", action="store_true",
                    help="remove containers of services the project no longer defines")
    up.add_argument("--wait", action="store_true",
                    help="return once services are running/healthy (implies -d)")
    up.add_argument("--wait-timeout", type=float, help="seconds --wait waits at most")
    up.add_argument("--abort-on-container-exit", action="store_true",
                    help="stop all containers if any container stops")
    up.add_argument("--abort-on-container-failure", action="store_true",
                    help="stop all containers if any container exits with an error")
    up.add_argument("--exit-code-from", metavar="SERVICE",
                    help="return this service's exit code (implies --abort-on-container-exit)")
    up.add_argument("-t", "--timeout", type=float, help="seconds before SIGKILL when stopping")
    up.add_argument("--scale", action="append", default=[], metavar="SERVICE=NUM",
                    help="run NUM containers of SERVICE (overrides scale / deploy.replicas)")
    up.add_argument("services", nargs="*")
    up.set_defaults(handler=up_command)

    down = sub.add_parser("down", help="stop and remove containers, mounts and state")
    down.add_argument("-v", "--volumes", action="store_true",
                      help="remove named volumes and VMs' disks (kept writable layers) too")
    down.add_argument("-t", "--timeout", type=float, help="seconds before SIGKILL")
    kube_cmds.add_down_options(down)
    down.set_defaults(handler=down_command)

    for verb, text in (("stop", "stop containers"), ("restart", "restart containers")):
        parser = sub.add_parser(verb, help=text)
        parser.add_argument("-t", "--timeout", type=float, help="seconds before SIGKILL")
        parser.add_argument("services", nargs="*")
        parser.set_defaults(handler=stop_command if verb == "stop" else restart_command)

    start = sub.add_parser("start", help="start existing containers again")
    start.add_argument("services", nargs="*")
    start.set_defaults(handler=start_command)

    kill = sub.add_parser("kill", help="send a signal to containers (default SIGKILL)")
    kill.add_argument("-s", "--signal", default="SIGKILL")
    kill.add_argument("services", nargs="*")
    kill.set_defaults(handler=kill_command)

    for verb in ("pause", "unpause"):
        parser = sub.add_parser(verb, help=f"{verb} containers")
        parser.add_argument("services", nargs="*")
        parser.set_defaults(handler=pause_command, resume=verb == "unpause")

    wait = sub.add_parser("wait", help="block until containers stop; print their exit codes")
    wait.add_argument("services", nargs="+")
    wait.set_defaults(handler=wait_command)


def up_command(ctx: CliContext, args: argparse.Namespace) -> int:
    project = ctx.load()
    if args.scale:
        from richcompose.config.replicas import parse_scale, with_scale

        project = with_scale(project, parse_scale(args.scale))
    if args.build and args.no_build:
        raise UsageError("--build and --no-build are incompatible")
    if args.exit_code_from and args.exit_code_from not in project.services:
        raise UsageError(f"--exit-code-from: no such service {args.exit_code_from!r}")
    # One bar per layer while images are pulled; nothing when every image is present.
    build = None  # the builder's defaults; its code loads only for a project that builds
    if args.build or args.no_build or args.pull:
        from richcompose.image.build.plan import BuildOptions

        build = BuildOptions(force=args.build, no_build=args.no_build, pull_policy=args.pull)
    with ctx.pull_progress() as progress:
        engine = ctx.engine(build=build, pull_policy=args.pull, pull_progress=progress)
        engine.up(project, services=args.services, no_deps=args.no_deps,
                  parallel=args.parallel, wait=args.wait, wait_timeout=args.wait_timeout,
                  force_recreate=args.force_recreate, no_recreate=args.no_recreate,
                  remove_orphans=args.remove_orphans, timeout=args.timeout)
    if args.detach or args.wait:  # compose: --wait implies detached mode
        return 0
    return attach(ctx, engine, project.name, args)


def down_command(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.kubeconfig:
        return kube_cmds.down_command(ctx, args)
    # The records say what to remove and in which order (each keeps its depends_on), as they
    # were when it was created: the file need not be valid, nor even be the same (compose
    # removes what `up` made), and no models are built.
    name = ctx.project_name(heal=False)
    ctx.engine().down(name, volumes=args.volumes, timeout=args.timeout)
    return 0


def stop_command(ctx: CliContext, args: argparse.Namespace) -> int:
    name, project = ctx.target()
    ctx.engine().stop(name, args.services, timeout=args.timeout, project=project)
    return 0


def restart_command(ctx: CliContext, args: argparse.Namespace) -> int:
    name, project = ctx.target()
    ctx.engine().restart(name, args.services, timeout=args.timeout, project=project)
    return 0


def start_command(ctx: CliContext, args: argparse.Namespace) -> int:
    name, project = ctx.target()
    ctx.engine().start(name, args.services, project=project)
    return 0


def kill_command(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.engine().kill(ctx.project_name(), args.services, signal=args.signal)
    return 0


def pause_command(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.engine().pause(ctx.project_name(), args.services, resume=args.resume)
    return 0


def wait_command(ctx: CliContext, args: argparse.Namespace) -> int:
    engine = ctx.engine()
    name = ctx.project_name()
    first: int | None = None
    for service in args.services:
        code = engine.wait(name, engine.container_for(name, service).id)
        ctx.out.print(str(code), markup=False)
        first = code if first is None else first
    return first or 0
