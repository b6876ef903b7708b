"""Inner system services for the dumb-init and sbin-init modes: a generated launcher, run as
the last startContainer hook, starts them in `after:` order, waits for each one's readiness,
and then lets PID 1 start the command. A service that fails or is not ready in time fails the
start, with the reason in the error and in `logs`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from graphlib import TopologicalSorter

from richcompose.bundle import templates
from richcompose.bundle.rich import RICH_DIR, BundleFile, RichInputs, RichParts, hook, inner_environment
from richcompose.config.models import Readiness, SystemService

LAUNCHER = f"{RICH_DIR}/bin/launcher"


@dataclass(frozen=True)
class InnerStart:
    name: str
    argv: list[str]
    env: list[tuple[str, str]]
    ready: list[str] | None  # ATTEMPTS INTERVAL KIND ARGS... for bin/ready


def start_order(services: dict[str, SystemService]) -> list[str]:
    """Each service after the ones it names in `after:`; otherwise in the order written."""
    sorter = TopologicalSorter({name: inner.after for name, inner in services.items()})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=list(services).index)
        order += ready
        sorter.done(*ready)
    return order


def ready_args(ready: Readiness) -> list[str]:
    attempts = max(1, math.ceil(ready.timeout / ready.interval))
    head = [str(attempts), f"{ready.interval:g}"]
    if ready.command is not None:
        return [*head, "command", *ready.command]
    if ready.file is not None:
        return [*head, "file", ready.file]
    return [*head, "port", str(ready.port)]


def launcher(inputs: RichInputs) -> RichParts:
    inner = inputs.service.system_services
    if not inner:
        return RichParts()
    starts = []
    for name in start_order(inner):
        spec = inner[name]
        assert spec.command is not None  # `unit:` is rejected for these modes by the caller
        env = inner_environment(inputs, spec.environment)
        starts.append(InnerStart(name, spec.command, sorted(env.items()),
                                 ready_args(spec.ready) if spec.ready else None))
    text = templates.render("launcher.sh.j2", service=inputs.name, services=starts,
                            rich_dir=RICH_DIR)
    seconds = int(sum(s.ready.timeout for s in inner.values() if s.ready)) + 10 * len(inner)
    return RichParts([hook("system-services", seconds, [LAUNCHER], inputs.env)],
                     {"bin/launcher": BundleFile(text, 0o755)})
