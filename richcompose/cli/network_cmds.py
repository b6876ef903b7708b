"""`port`: where a service's container port is published on the host."""

from __future__ import annotations

import argparse
from typing import Any

from richcompose.cli.context import CliContext
from richcompose.errors import NetworkError


def register(sub: Any) -> None:
    port = sub.add_parser("port", help="print the host address a container port is published on")
    port.add_argument("--protocol", choices=("tcp", "udp"), default="tcp")
    port.add_argument("service")
    port.add_argument("private_port", type=int)
    port.set_defaults(handler=port_command)


def port_command(ctx: CliContext, args: argparse.Namespace) -> int:
    from richcompose.network.ports import published_address

    addresses = published_address(ctx.network().ports(ctx.project_name(), args.service),
                                  args.private_port,
                                  args.protocol)
    if not addresses:
        raise NetworkError(
            f"service {args.service!r} does not publish port {args.private_port}/{args.protocol}",
            hint="publish it under ports: and run `up`")
    ctx.out.print("\n".join(addresses), markup=False)
    return 0
