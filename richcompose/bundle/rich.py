"""Rich container mode as spec options: a real init as PID 1 and init scripts as OCI hooks.

The init binary is bind-mounted read-only (never copied into an image layer). initcmd and
initscript run as `startContainer` hooks: runc runs those inside the container, after
pivot_root and before the entrypoint, on every start, with the OCI state JSON on stdin.
"""

from __future__ import annotations

from collections.abc import Sequence

from richcompose.bundle.spec import SpecOption, bind_mount, with_hook, with_mounts

RICH_DIR = "/.richcompose"
DUMB_INIT_IN_CONTAINER = f"{RICH_DIR}/bin/dumb-init"
DEFAULT_INIT_TIMEOUT = 60


def with_dumb_init(host_binary: str) -> SpecOption:
    """PID 1 is dumb-init; the service's process becomes its child. Signals are forwarded to the
    child's process group, and dumb-init exits with the child's exit code."""
    mount = with_mounts([bind_mount(host_binary, DUMB_INIT_IN_CONTAINER)])

    def apply(spec: dict[str, object]) -> None:
        mount(spec)
        process = spec["process"]
        assert isinstance(process, dict)
        process["args"] = [DUMB_INIT_IN_CONTAINER, "--", *process["args"]]
    return apply


def init_hooks(initcmd: str | None, initscript: str | None, *,
               timeout: float | None) -> list[SpecOption]:
    """initcmd first (it needs nothing in the image but a shell), then initscript."""
    seconds = max(1, int(timeout if timeout is not None else DEFAULT_INIT_TIMEOUT))
    options: list[SpecOption] = []
    if initcmd:
        options.append(with_hook("startContainer", "/bin/sh", ["sh", "-c", initcmd],
                                 timeout=seconds))
    if initscript:
        options.append(with_hook("startContainer", initscript, _script_argv(initscript),
                                 timeout=seconds))
    return options


def _script_argv(path: str) -> Sequence[str]:
    return [path]
