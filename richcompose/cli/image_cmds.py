"""`pull`, `images`, `rmi`, `image prune`: the local image store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.errors import ImageError, UsageError


def register(sub: Any) -> None:
    pull = sub.add_parser("pull", help="pull the images of the project's services")
    pull.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    pull.add_argument("--ignore-pull-failures", action="store_true")
    pull.add_argument("--ignore-buildable", action="store_true",
                      help="skip services that have build:")
    pull.add_argument("-v", "--verbose", action="store_true",
                      help="say which registry or mirror served each image")
    pull.add_argument("services", nargs="*")
    pull.set_defaults(handler=pull_command)

    images = sub.add_parser("images", help="list the images in the store")
    images.add_argument("-q", "--quiet", action="store_true", help="only digests")
    images.set_defaults(handler=images_command)

    rmi = sub.add_parser("rmi", help="remove images no container uses")
    rmi.add_argument("references", nargs="+")
    rmi.set_defaults(handler=rmi_command)

    image = sub.add_parser("image", help="image store maintenance")
    image_sub = image.add_subparsers(dest="image_command", required=True)
    prune = image_sub.add_parser("prune", help="remove every image no container uses")
    prune.set_defaults(handler=prune_command)


def pull_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.image.progress import PullProgress

    project = ctx.load()
    engine = ctx.engine()
    wanted = args.services or list(project.services)
    unknown = [name for name in wanted if name not in project.services]
    if unknown:
        raise UsageError(f"no such service: {', '.join(unknown)}")
    failed = 0
    with PullProgress(ctx.err, quiet=args.quiet) as progress:
        for name in wanted:
            service = project.services[name]
            reference = service.image
            if reference is None or (service.build is not None and args.ignore_buildable):
                continue  # rootfs: and build-only services have nothing to pull
            try:
                image = engine.images.pull(reference, base_dir=Path(project.directory),
                                           location=project.locate(("services", name, "image")),
                                           progress=progress)
            except ImageError as e:
                if service.build is not None:  # compose: it can be built instead
                    ctx.report(name, f"warning: {e.message}; `build` makes it")
                    continue
                if not args.ignore_pull_failures:
                    raise
                failed += 1
                continue
            if args.verbose:
                ctx.report(name, f"{reference} served by {image.served_by or image.reference}")
    return 1 if failed else 0


def images_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.image.views import images_table

    stored = ctx.engine().images.list_images()
    if args.quiet:
        ctx.out.print("\n".join(image.digest for image in stored), markup=False)
    else:
        ctx.out.print(images_table(stored))
    return 0


def rmi_command(ctx: CliContext, args: argparse.Namespace) -> int:
    engine = ctx.engine()
    in_use = engine.images_in_use()
    for reference in args.references:
        for removed in engine.images.remove(reference, in_use=in_use):
            ctx.out.print(f"Deleted: {removed.reference} {removed.digest}", markup=False)
    return 0


def prune_command(ctx: CliContext, args: argparse.Namespace) -> int:
    engine = ctx.engine()
    for removed in engine.images.prune(engine.images_in_use()):
        ctx.out.print(f"Deleted: {removed.reference} {removed.digest}", markup=False)
    engine.builder.prune()  # buildah's private store: base images and cached steps
    return 0
