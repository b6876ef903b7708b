"""`convert kubernetes`, `convert --check`, `deploy`, and the Kubernetes side of `down`.
richcompose.kube is imported inside the handlers: other commands never load it."""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.errors import UsageError

DUMB_INIT = "/usr/local/libexec/richcompose/dumb-init"


def register(sub: Any) -> None:
    convert = sub.add_parser("convert", help="write Kubernetes objects for the project "
                             "(convert kubernetes -o DIR), or check a directory (--check DIR)")
    convert.add_argument("target", nargs="?", choices=("kubernetes",))
    convert.add_argument("services", nargs="*", help="these services and their dependencies")
    convert.add_argument("-o", "--output", help="directory to write (one file per object)")
    convert.add_argument("--check", metavar="DIR", help="re-validate a converted directory")
    _conversion_options(convert)
    convert.set_defaults(handler=convert_command)

    deploy = sub.add_parser("deploy", help="convert and apply to a cluster "
                            "(kubectl apply --server-side -k)")
    deploy.add_argument("services", nargs="*")
    deploy.add_argument("--dir", help="where to write the objects (default: a temporary dir)")
    _cluster_options(deploy)
    deploy.add_argument("--dry-run", choices=("server",), help="ask the API server only")
    _conversion_options(deploy)
    deploy.set_defaults(handler=deploy_command)


def _conversion_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kube-version", help="Kubernetes version to convert for "
                        "(default 1.37; --check: the one the directory was written for)")
    parser.add_argument("--namespace", help="namespace for every object (default: the context's)")
    parser.add_argument("--feature-gates", help="gates the cluster enables, e.g. "
                        "ContainerStopSignals=true")


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig file of the cluster")
    parser.add_argument("--context", help="context of the kubeconfig to use")


def add_down_options(parser: argparse.ArgumentParser) -> None:
    """`down --kubeconfig F [--context C] [--namespace NS]` removes the project's objects."""
    parser.add_argument("--kubeconfig", help="remove what `deploy` made in this cluster instead")
    parser.add_argument("--context", help="with --kubeconfig: the context to use")
    parser.add_argument("--namespace", help="with --kubeconfig: the namespace deployed to")


def convert_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.kube.options import parse_feature_gates
    from richcompose.kube.validate import check_directory
    if args.check:
        if args.target or args.output:
            raise UsageError("--check DIR takes no target or -o", hint="convert --check DIR")
        gates = parse_feature_gates(args.feature_gates) if args.feature_gates else None
        count = check_directory(Path(args.check), args.kube_version, gates)
        ctx.out.print(f"{args.check}: {count} objects valid", markup=False)
        return 0
    if args.target != "kubernetes" or not args.output:
        raise UsageError("convert needs a target and -o DIR",
                         hint="convert kubernetes -o DIR [SERVICE...], or convert --check DIR")
    directory, count = _convert(ctx, args, Path(args.output))
    ctx.out.print(f"wrote {count} objects and kustomization.yaml to {directory}", markup=False)
    return 0


def _convert(ctx: CliContext, args: argparse.Namespace, directory: Path) -> tuple[Path, int]:
    from richcompose.kube.options import (
        DEFAULT_KUBE_VERSION,
        ConvertOptions,
        parse_feature_gates,
        parse_version,
    )
    from richcompose.kube.output import convert_to_directory
    version = args.kube_version or DEFAULT_KUBE_VERSION
    parse_version(version)
    options = ConvertOptions(
        kube_version=version, namespace=args.namespace,
        feature_gates=parse_feature_gates(args.feature_gates), services=tuple(args.services),
        environ=ctx.environ, dumb_init=ctx.environ.get("RICHCOMPOSE_DUMB_INIT", DUMB_INIT),
        host_arch=platform.machine())
    project = ctx.load()
    conversion = convert_to_directory(project, options, directory)
    if conversion.warnings:
        from richcompose.cli.console import labelled

        for warning in conversion.warnings:
            ctx.err.print(labelled("warning:", "yellow", str(warning)))
    return directory, len(conversion.objects)


def deploy_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.kube import deploy
    cluster = deploy.Cluster(args.kubeconfig, args.context)
    with tempfile.TemporaryDirectory(prefix="richcompose-kube-") as tmp:
        directory, count = _convert(ctx, args, Path(args.dir) if args.dir else Path(tmp) / "k8s")
        output = deploy.run(deploy.apply_argv(cluster, directory, dry_run=args.dry_run))
    ctx.out.print(output.rstrip(), markup=False)
    ctx.err.print(f"applied {count} objects" + (" (server dry run)" if args.dry_run else ""))
    return 0


def down_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.kube import deploy
    cluster = deploy.Cluster(args.kubeconfig, args.context)
    output = deploy.run(deploy.delete_argv(cluster, ctx.project_name(), args.namespace,
                                           volumes=args.volumes))
    ctx.out.print(output.rstrip() or "nothing to remove", markup=False)
    return 0
