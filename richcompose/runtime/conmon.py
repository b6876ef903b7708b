"""Starts containers through conmon: it runs `runc create`, then stays as the container's
parent, copies stdout/stderr into a k8s-file log from the first byte and writes the exit code
to an exit file — so logs and exit codes survive the CLI (and our monitor) exiting."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from richcompose.childenv import child_env
from richcompose.errors import RuntimeFailure
from richcompose.hostfs import safe_join
from richcompose.runtime.oci import error_message, find_executable


@dataclass(frozen=True)
class ContainerFiles:
    """Where conmon keeps one container's files."""

    bundle: Path
    log: Path
    exit_dir: Path
    pidfile: Path
    conmon_pidfile: Path
    socket_dir: Path


class ConmonLauncher:
    def __init__(self, runtime_binary: str, runtime_root: Path, *, log_size_max: int = 0) -> None:
        found = find_executable("conmon")
        if found is None:
            raise RuntimeFailure("conmon not found", hint="run scripts/setup.sh (installs conmon)")
        self.conmon = found
        self.runtime_binary = runtime_binary
        self.runtime_root = runtime_root
        self.log_size_max = log_size_max

    def create(self, container_id: str, files: ContainerFiles, *, timeout: float = 120,
               terminal: bool = False) -> int:
        """`runc create` under conmon; returns the container's PID once it exists. With
        `terminal` (the spec's process.terminal) conmon owns a pty and logs its output."""
        files.socket_dir.mkdir(parents=True, exist_ok=True)  # conmon dies silently without it
        files.exit_dir.mkdir(parents=True, exist_ok=True)
        files.log.parent.mkdir(parents=True, exist_ok=True)
        safe_join(files.exit_dir, container_id).unlink(missing_ok=True)
        argv = [
            self.conmon, "--api-version", "1", "-c", container_id, "-u", container_id,
            "-n", container_id, "-r", self.runtime_binary, "-b", str(files.bundle),
            "-p", str(files.pidfile), "-P", str(files.conmon_pidfile),
            "-l", f"k8s-file:{files.log}", "--exit-dir", str(files.exit_dir),
            "--socket-dir-path", str(files.socket_dir),
            "--runtime-arg", "--root", "--runtime-arg", str(self.runtime_root),
        ]
        if terminal:
            argv.insert(1, "--terminal")
        if self.log_size_max:
            argv += ["--log-size-max", str(self.log_size_max)]
        read_end, write_end = os.pipe()
        # conmon (and runc under it) get no variable of the caller's (childenv.py): hooks set
        # their own env, the container's comes from the spec; NOTIFY_SOCKET stays out too.
        env = child_env(_OCI_SYNCPIPE=str(write_end))
        # conmon's stderr goes to a file: its daemonised child keeps inherited fds open, so a
        # pipe would never reach EOF while the container runs.
        errors = files.log.with_name("conmon.err")
        try:
            with open(errors, "wb") as err:
                subprocess.run(argv, pass_fds=(write_end,), env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            os.close(read_end)
            raise RuntimeFailure(f"timed out creating container {container_id}") from None
        finally:
            os.close(write_end)
        # The first fork has exited; the daemon writes {"data": PID} (or an error) and keeps
        # the pipe open, so read one message rather than waiting for EOF.
        data = _read_message(read_end, timeout)
        return _parse_sync(container_id, data, errors.read_text(errors="replace"))


def _read_message(fd: int, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    data = b""
    try:
        while b"\n" not in data and not data.rstrip().endswith(b"}"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data


def _parse_sync(container_id: str, data: bytes, stderr: str) -> int:
    message = ""
    for line in data.decode(errors="replace").splitlines():
        try:
            payload = json.loads(line)
        except json.JSONDecodeError:
            continue
        value = payload.get("data")
        if isinstance(value, int) and value > 0:
            return value
        message = str(payload.get("message") or message)
    detail = message or stderr.strip().splitlines()[-1:] or ["conmon exited without a PID"]
    text = detail if isinstance(detail, str) else detail[0]
    raise RuntimeFailure(f"creating container {container_id} failed: {error_message(text)}")
