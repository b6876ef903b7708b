"""Inner system services for the dumb-init and sbin-init modes: a generated launcher starts
them in `after:` order, waits for each one's readiness, then execs the command.

The launcher runs under PID 1, after the init hooks, in front of the command (not as a hook):
the services then inherit the container's stdout/stderr, so their output is in `logs` for as
long as they run. When all are ready it drops a marker in the run dir; the engine waits for
that marker, so a service that fails or is not ready in time fails the start, with the reason
in the error and in `logs`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import TYPE_CHECKING

from richcompose.bundle import templates
from richcompose.bundle.names import LAUNCHER_ANNOTATION as LAUNCHER_ANNOTATION  # re-exported
from richcompose.bundle.names import READY_MARKER as READY_MARKER
from richcompose.bundle.rich import (
    RICH_DIR,
    RUN_DIR,
    BundleFile,
    RichInputs,
    RichParts,
    inner_environment,
)
from richcompose.bundle.spec import Spec, with_annotations

if TYPE_CHECKING:
    from richcompose.config.models import Readiness, SystemService

LAUNCHER = f"{RICH_DIR}/bin/launcher"


@dataclass(frozen=True)
class InnerStart:
    name: str
    argv: list[str]
    env: list[tuple[str, str]]
    ready: list[str] | None  # ATTEMPTS INTERVAL KIND ARGS... for bin/ready
    restart: str = "no"
    required: bool = False

    @property
    def exit_file(self) -> str:
        """Where the service's last exit status is noted (a start check and for the log)."""
        return f"{RUN_DIR}/service.{self.name}.exit"


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


def with_launcher(spec: Spec) -> None:
    """Puts the launcher in front of the command; applied before the init wraps the args."""
    spec["process"]["args"] = [LAUNCHER, *spec["process"]["args"]]


# How a required system service that ended stops the container: ending the command ends a
# dumb-init container; busybox init (sbin-init) powers off on SIGUSR2.
STOP_DUMB_INIT = "kill -TERM $app"
STOP_BUSYBOX_INIT = "kill -TERM $app; kill -USR2 1"


def launcher(inputs: RichInputs, *, wrap_process: bool = True,
             stop_container: str = STOP_DUMB_INIT) -> RichParts:
    """The launcher file, and (for dumb-init) the option that runs it in front of the command;
    sbin-init puts it in front of the command in its inittab entry instead."""
    inner = inputs.service.system_services
    if not inner:
        return RichParts()
    starts = []
    for name in start_order(inner):
        spec = inner[name]
        assert spec.command is not None  # `unit:` is rejected for these modes by the caller
        env = inner_environment(inputs, spec.environment)
        starts.append(InnerStart(name, spec.command, sorted(env.items()),
                                 ready_args(spec.ready) if spec.ready else None,
                                 spec.restart, spec.required))
    text = templates.render("launcher.sh.j2", service=inputs.name, services=starts,
                            rich_dir=RICH_DIR, run_dir=RUN_DIR, stop_container=stop_container,
                            marker=f"{RUN_DIR}/{READY_MARKER}")
    seconds = int(sum(s.ready.timeout for s in inner.values() if s.ready)) + 10 * len(inner)
    options = [with_annotations({LAUNCHER_ANNOTATION: str(seconds)})]
    if wrap_process:
        options.insert(0, with_launcher)
    return RichParts(options, {"bin/launcher": BundleFile(text, 0o755)})
