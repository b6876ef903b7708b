"""`container run`: PouchContainer's one-liner for a single rich container without a project
file (`pouch run -d --rich --rich-mode systemd --initscript /x.sh IMAGE CMD`, with Pouch's
flag names and its rule that --rich-mode/--initscript need --rich); `disk export`: a backup of
a VM's disk (its kept writable layer, engine/disk.py)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.errors import UsageError

if TYPE_CHECKING:
    from richcompose.cli.context import CliContext

RICH_MODES = ("dumb-init", "sbin-init", "systemd")


def register(sub: Any) -> None:
    container = sub.add_parser("container", help="single containers without a project file")
    verbs = container.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help="create and start one container (PouchContainer's flags)")
    run.add_argument("-d", "--detach", action="store_true",
                     help="run in the background and print the container id")
    run.add_argument("--name", help="container (and project) name; default: generated")
    run.add_argument("--rich", action="store_true",
                     help="start the container in rich container mode (default false)")
    run.add_argument("--rich-mode", choices=RICH_MODES,
                     help="the rich container's init: dumb-init (default), systemd, sbin-init")
    run.add_argument("--initscript", help="initial script executed in the container, before "
                     "the command, on every start")
    run.add_argument("-e", "--env", action="append", default=[], help="KEY=VALUE")
    run.add_argument("-v", "--volume", action="append", default=[], help="SRC:DST[:ro]")
    run.add_argument("--hostname")
    run.add_argument("--privileged", action="store_true")
    run.add_argument("--cap-add", action="append", default=[])
    run.add_argument("--cap-drop", action="append", default=[])
    run.add_argument("--restart", help="no, always, on-failure[:N], unless-stopped")
    run.add_argument("image", help="an image reference, or a rootfs directory or tarball")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    run.set_defaults(handler=container_run_command)

    disks = sub.add_parser("disk", help="VMs' disks: the kept writable layers")
    disk_verbs = disks.add_subparsers(dest="verb", required=True)
    export = disk_verbs.add_parser("export", help="write a service's disk to a tar file")
    export.add_argument("service")
    export.add_argument("output", help="the tar file to write")
    export.set_defaults(handler=disk_export_command)


def container_spec(args: argparse.Namespace, cwd: Path) -> dict[str, Any]:
    """The flags as one service of a project, so the container is validated and run exactly
    as a project's would be."""
    for flag, value in (("--rich-mode", args.rich_mode), ("--initscript", args.initscript)):
        if value and not args.rich:
            raise UsageError(f"{flag} needs --rich",
                             hint=f"add --rich (PouchContainer's rule), or drop {flag}")
    service: dict[str, Any] = {}
    source = Path(args.image) if args.image.startswith(("/", ".")) else None
    if source is not None and (cwd / source).exists():
        service["rootfs"] = str(cwd / source)
    else:
        service["image"] = args.image
    if args.cmd:
        service["command"] = args.cmd
    if args.rich:
        service["rich"] = True
    for key, value in (("rich_mode", args.rich_mode), ("initscript", args.initscript),
                       ("hostname", args.hostname), ("restart", args.restart)):
        if value:
            service[key] = value
    if args.env:
        service["environment"] = list(args.env)
    if args.volume:
        service["volumes"] = list(args.volume)
    if args.privileged:
        service["privileged"] = True
    if args.cap_add:
        service["cap_add"] = list(args.cap_add)
    if args.cap_drop:
        service["cap_drop"] = list(args.cap_drop)
    return service


def container_run_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.cli.foreground import attach
    from richcompose.config import LoadOptions, load_project
    from richcompose.config.loader import normalize_project_name

    name = normalize_project_name(args.name or f"c{os.urandom(3).hex()}")
    if not name:
        raise UsageError(f"--name {args.name!r}: no letters or digits", hint="e.g. --name vm01")
    cwd = Path.cwd()
    text = json.dumps({"services": {name: container_spec(args, cwd)}})  # JSON is YAML
    project = load_project(LoadOptions(files=(Path("-"),), stdin=text, project_name=name,
                                       working_dir=cwd, environ=ctx.environ))
    with ctx.pull_progress() as progress:  # as `up`: bars while a missing image is pulled
        engine = ctx.engine(pull_progress=progress)
        (cid,) = engine.up(project)
    if args.detach:
        ctx.out.print(cid, markup=False)
        ctx.err.print(f"stop and remove it with: richcompose -p {name} down")
        return 0
    return attach(ctx, engine, project.name, argparse.Namespace(
        abort_on_container_exit=True, abort_on_container_failure=False, exit_code_from=name,
        timeout=None))


def disk_export_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.engine import disk

    engine = ctx.engine()
    record = engine.container_for(ctx.project_name(), args.service)
    if not record.disk:
        raise UsageError(f"service {args.service!r} has no kept disk",
                         hint="only rootfs: services (or keep_layer: true) keep their layer")
    size = disk.export(disk.DiskPaths(Path(record.disk)), Path(args.output))
    ctx.err.print(f"wrote {args.output} ({disk.human_size(size)})")
    return 0
