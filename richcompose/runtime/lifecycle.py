"""Running lifecycle hooks (bundle/lifecycle.py decides them) inside a running container with
`runtime exec`, as docker compose does with an exec: output goes to the container's log (so
`logs` and a foreground `up` show it), a non-zero exit is an error that quotes the end of the
output, stderr first (compose's hookExitError)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from richcompose.bundle.lifecycle import HookCommand
from richcompose.bundle.security import ALL_CAPABILITIES
from richcompose.errors import RuntimeFailure
from richcompose.logs import read_lines
from richcompose.runtime.oci import OCIRuntime

TAIL_LINES = 10  # of a failing hook's output, in the error (compose keeps 10 lines, 2 KiB)
TAIL_BYTES = 2048
MAX_LOGGED = 1 << 20  # bytes of one hook's output copied into the log


def run_hooks(runtime: OCIRuntime, container_id: str, service: str,
              commands: Iterable[HookCommand], log: Path, *,
              timeout: float | None = None) -> None:
    """Each command in order; the first failure raises and the rest do not run."""
    for command in commands:
        run_hook(runtime, container_id, service, command, log, timeout=timeout)


def run_hook(runtime: OCIRuntime, container_id: str, service: str, command: HookCommand,
             log: Path, *, timeout: float | None = None) -> None:
    argv = runtime.exec_argv(container_id, command.args, env=dict(command.env),
                             user=command.user or None, cwd=command.cwd or None,
                             caps=ALL_CAPABILITIES if command.privileged else ())
    try:
        proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=timeout, check=False)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = -1, exc.stdout or b"", (exc.stderr or b"") + b"hook timed out\n"
    _append_log(log, "stdout", out[:MAX_LOGGED])
    _append_log(log, "stderr", err[:MAX_LOGGED])
    if code != 0:
        detail = _tail(err) or _tail(out)
        message = f"service {service!r}: {command.label} hook exited with status {code}"
        raise RuntimeFailure(f"{message}: {detail}" if detail else message,
                             hint=f"see `richcompose logs {service}`")


def copy_log(source: Path, target: Path) -> str:
    """Appends the lines of one container's log to another's (a pre_start container's output
    to its service's log); returns the end of it, stderr first, for an error message."""
    lines = list(read_lines(source))
    if lines:
        with open(target, "a", encoding="utf-8") as handle:
            handle.writelines(f"{line.time} {line.stream} F {line.text}\n" for line in lines)
    err = "\n".join(line.text for line in lines if line.stream == "stderr").encode()
    out = "\n".join(line.text for line in lines if line.stream == "stdout").encode()
    return _tail(err) or _tail(out)


def _tail(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").rstrip("\n").splitlines()[-TAIL_LINES:]
    return "\n".join(line.rstrip("\r") for line in lines)[-TAIL_BYTES:]


def _append_log(log: Path, stream: str, data: bytes) -> None:
    """Lines in conmon's k8s-file format, appended (conmon opens the log O_APPEND too)."""
    if not data:
        return
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e9):09d}Z"
    text = data.decode("utf-8", "replace")
    lines = "".join(f"{stamp} {stream} F {line}\n" for line in text.rstrip("\n").split("\n"))
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(lines)
