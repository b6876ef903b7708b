"""`build`, `push`, `login`, `logout`: building services' images and talking to registries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.errors import ImageError, UsageError

# The image and build stages (httpx, pydantic, rich) load when a command here runs, not
# with every command's parser.
DOCKER_HUB = "docker.io"  # image.reference.DOCKER_HUB, without importing the image stage


def register(sub: Any) -> None:
    build = sub.add_parser("build", help="build the images of services with build:")
    build.add_argument("--no-cache", action="store_true", help="do not reuse cached steps")
    build.add_argument("--pull", action="store_true", help="always fetch newer base images")
    build.add_argument("--build-arg", action="append", default=[], metavar="KEY[=VALUE]",
                       help="override a build argument (repeatable)")
    build.add_argument("--progress", choices=("auto", "plain", "tty", "quiet"), default="auto",
                       help="builder output: plain lines prefixed by service, or one live line "
                            "per service")
    build.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    build.add_argument("services", nargs="*")
    build.set_defaults(handler=build_command)

    push = sub.add_parser("push", help="push services' images to their registries")
    push.add_argument("--ignore-push-failures", action="store_true")
    push.add_argument("-q", "--quiet", action="store_true")
    push.add_argument("services", nargs="*")
    push.set_defaults(handler=push_command)

    login = sub.add_parser("login", help="store credentials for a registry")
    login.add_argument("-u", "--username")
    login.add_argument("-p", "--password", help="insecure: visible to other users; prefer "
                                                "--password-stdin")
    login.add_argument("--password-stdin", action="store_true")
    login.add_argument("--authfile", help="the auth file to write (default $REGISTRY_AUTH_FILE, "
                                          "else ~/.docker/config.json)")
    login.add_argument("server", nargs="?", default=DOCKER_HUB)
    login.set_defaults(handler=login_command)

    logout = sub.add_parser("logout", help="remove stored credentials for a registry")
    logout.add_argument("--authfile")
    logout.add_argument("server", nargs="?", default=DOCKER_HUB)
    logout.set_defaults(handler=logout_command)


def build_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.cli.build_output import BuildOutput
    from richcompose.config import normalize
    from richcompose.image.build.builder import Builder
    from richcompose.image.build.plan import BuildOptions, image_name

    project = ctx.load()
    unknown = [n for n in args.services if n not in project.services]
    if unknown:
        raise UsageError(f"no such service: {', '.join(unknown)}")
    wanted = args.services or [n for n, s in project.services.items() if s.build is not None]
    try:
        build_args = normalize.environment_dict(args.build_arg)
    except ValueError as e:
        raise UsageError(f"--build-arg: {e}") from None
    # compose: `--build-arg KEY` without a value takes it from the environment
    build_args = {k: ctx.environ.get(k) if v is None else v for k, v in build_args.items()}
    options = BuildOptions(no_cache=args.no_cache, pull=args.pull, args=build_args)
    mode = "quiet" if args.quiet else args.progress
    with BuildOutput(ctx.err, wanted, mode) as output:
        builder = Builder(ctx.images(), options=options, environ=ctx.environ, output=output)
        built = builder.build(project, wanted)
    if not args.quiet:
        for name, image in built.items():
            ctx.out.print(f"{name}: {image_name(project, name)} {image.digest}", markup=False)
    return 0


def push_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.image.push import push_image

    project = ctx.load()
    unknown = [n for n in args.services if n not in project.services]
    if unknown:
        raise UsageError(f"no such service: {', '.join(unknown)}")
    store = ctx.images()
    failed = 0
    for name in args.services or list(project.services):
        service = project.services[name]
        if service.image is None and service.build is None:
            continue
        if service.build is not None and service.image is None:
            # compose pushes only what names a registry; a default <project>-<service> does not
            ctx.report(name, "skipped: no image: to push to")
            continue
        names = [service.image] if service.image else []
        names += service.build.tags if service.build else []
        def progress(message: str, service: str = name) -> None:
            if not args.quiet:
                ctx.report(service, message)

        for reference in names:
            try:
                digest = push_image(store, reference, env=ctx.environ,
                                    registries=store.registries, report=progress)
                ctx.out.print(f"{name}: pushed {reference} {digest}", markup=False)
            except ImageError:
                if not args.ignore_push_failures:
                    raise
                failed += 1
    return 1 if failed else 0


def login_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.image.auth import Credentials
    from richcompose.image.credentials import store_credentials
    from richcompose.image.reference import RegistryReference
    from richcompose.image.registry import RegistryClient

    registry = _registry(args.server)
    username = args.username
    if username is None:
        if not sys.stdin.isatty():
            raise UsageError("login needs --username (-u)")
        username = input("Username: ")
    if args.password_stdin:
        if args.password is not None:
            raise UsageError("--password and --password-stdin are incompatible")
        password = sys.stdin.read().rstrip("\n")
    elif args.password is not None:
        from richcompose.cli.console import labelled

        ctx.err.print(labelled("warning:", "yellow", "--password is visible to other users of "
                               "this machine; use --password-stdin"))
        password = args.password
    elif sys.stdin.isatty():
        import getpass
        password = getpass.getpass("Password: ")
    else:
        raise UsageError("login needs --password-stdin (or a terminal to ask on)")
    if not username or not password:
        raise UsageError("login needs a username and a password")
    creds = Credentials(username, password)
    store = ctx.images()
    endpoint = store.registries.endpoints(RegistryReference(registry, "richcompose/login"))[-1]
    with RegistryClient(endpoint.ref, credentials=creds, insecure=endpoint.insecure) as client:
        response = client.request("GET", "/v2/")
        if response.status_code in (401, 403):
            raise ImageError(f"login to {registry} failed: the registry refused the credentials")
        if response.status_code != 200:
            raise ImageError(f"login to {registry} failed: HTTP {response.status_code}")
    where = store_credentials(registry, creds, ctx.environ,
                              Path(args.authfile) if args.authfile else None)
    ctx.out.print(f"Login Succeeded (credentials in {where})", markup=False)
    return 0


def logout_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.image.auth import find_credentials
    from richcompose.image.credentials import erase_credentials

    registry = _registry(args.server)
    if erase_credentials(registry, ctx.environ, Path(args.authfile) if args.authfile else None):
        ctx.out.print(f"Removed login credentials for {registry}", markup=False)
        return 0
    if find_credentials(registry, "", ctx.environ) is not None:
        raise UsageError(f"credentials for {registry} are in another auth file",
                         hint="pass --authfile to name it")
    ctx.out.print(f"Not logged in to {registry}", markup=False)
    return 0


def _registry(server: str) -> str:
    """`https://index.docker.io/v1/`, `docker.io`, `host:5000` → the registry's name."""
    from richcompose.image.reference import parse_registry_reference

    text = server.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if text in ("index.docker.io", "registry-1.docker.io", DOCKER_HUB):
        return DOCKER_HUB
    try:
        return parse_registry_reference(f"{text}/x").registry
    except ImageError:
        raise UsageError(f"invalid registry {server!r}") from None
