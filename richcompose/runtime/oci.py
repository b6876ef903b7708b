"""Typed wrapper of the OCI runtime command line (runc; crun takes the same verbs)."""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from richcompose.childenv import SYSTEM_PATH
from richcompose.errors import RuntimeFailure
from richcompose.hostfs import safe_join


@dataclass(frozen=True)
class ContainerState:
    """What `runc state` reports: status is created, running, paused or stopped."""

    id: str
    status: str
    pid: int
    bundle: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContainerState:
        return cls(id=str(data["id"]), status=str(data["status"]), pid=int(data.get("pid") or 0),
                   bundle=str(data.get("bundle", "")))


class OCIRuntime:
    """One runtime binary with a private state root, so other tools' containers never mix in."""

    def __init__(self, binary: str, root: Path) -> None:
        found = find_executable(binary)
        if found is None:
            raise RuntimeFailure(f"OCI runtime {binary!r} not found",
                                 hint="run scripts/setup.sh (installs runc and crun)")
        self._name = Path(found).name
        if self._name == "crun" and _cgroup_v1_hybrid():
            found = str(CRUN_HYBRID)
        self.binary = found
        # Each runtime keeps its own state root beside runc's: their state formats differ.
        self.root = root if self._name == "runc" else root.with_name(self._name)

    @property
    def name(self) -> str:
        return self._name

    def _argv(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.root), *args]

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # stdout is a pipe only for verbs that return at once; create/run go through conmon.
        proc = subprocess.run(self._argv(*args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise RuntimeFailure(f"{self.name} {args[0]} failed: {error_message(proc.stderr)}")
        return proc

    def known(self, container_id: str) -> bool:
        """Whether the runtime has state for this id: a stat instead of a process (runc and
        crun keep a directory per container under --root)."""
        return safe_join(self.root, container_id).exists()

    def state(self, container_id: str) -> ContainerState | None:
        proc = self._run("state", container_id, check=False)
        if proc.returncode != 0:
            return None
        return ContainerState.from_json(json.loads(proc.stdout))

    def list(self) -> list[ContainerState]:
        if not self.root.exists():
            return []
        proc = self._run("list", "--format", "json")
        return [ContainerState.from_json(item) for item in json.loads(proc.stdout or "null") or []]

    def start(self, container_id: str) -> None:
        self._run("start", container_id)

    def kill(self, container_id: str, signal: str = "TERM", *, all_processes: bool = False) -> None:
        args = ["kill", *(["--all"] if all_processes else []), container_id, signal]
        proc = self._run(*args, check=False)
        if proc.returncode != 0 and "not running" not in proc.stderr and "does not exist" not in proc.stderr:
            raise RuntimeFailure(f"{self.name} kill failed: {error_message(proc.stderr)}")

    def delete(self, container_id: str, *, force: bool = False) -> None:
        proc = self._run("delete", *(["--force"] if force else []), container_id, check=False)
        if proc.returncode != 0 and "does not exist" not in proc.stderr:
            raise RuntimeFailure(f"{self.name} delete failed: {error_message(proc.stderr)}")

    def pause(self, container_id: str) -> None:
        self._run("pause", container_id)

    def resume(self, container_id: str) -> None:
        self._run("resume", container_id)

    def processes(self, container_id: str) -> builtins.list[int]:
        proc = self._run("ps", "--format", "json", container_id)
        return [int(pid) for pid in json.loads(proc.stdout or "[]") or []]

    def exec_argv(self, container_id: str, args: Sequence[str], *, env: Mapping[str, str] = {},
                  user: str | None = None, cwd: str | None = None, tty: bool = False,
                  detach: bool = False, caps: Sequence[str] = ()) -> builtins.list[str]:
        """The argv that runs `args` in the container; the caller owns its stdio. `caps` are
        added to the process's capabilities (a privileged exec passes all of them)."""
        argv = self._argv("exec")
        for cap in caps:
            argv += ["--cap", cap]
        if tty:
            argv.append("--tty")
        if detach:
            argv.append("--detach")
        for key, value in env.items():
            argv += ["--env", f"{key}={value}"]
        if user:
            argv += ["--user", user]
        if cwd:
            argv += ["--cwd", cwd]
        return [*argv, container_id, *args]

    def exec(self, container_id: str, args: Sequence[str], *, timeout: float | None = None,
             env: Mapping[str, str] = {}) -> subprocess.CompletedProcess[str]:
        """Runs a short command in the container and captures its output (health checks)."""
        return subprocess.run(self.exec_argv(container_id, args, env=env), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def find_executable(name: str, search_path: str = SYSTEM_PATH) -> str | None:
    """shutil.which for a bare name or a path (shutil itself costs the monitor ~0.6 MiB of
    RSS for compression modules it never uses). A bare name is looked up on the system PATH,
    not the caller's (childenv.py): a root-run runtime is the system's, or a path given."""
    if "/" in name:
        return name if os.access(name, os.X_OK) and not os.path.isdir(name) else None
    for folder in search_path.split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


CRUN_HYBRID = Path(__file__).with_name("crun-hybrid")
_UNIFIED_CONTROLLERS = Path("/sys/fs/cgroup/unified/cgroup.controllers")


def _cgroup_v1_hybrid() -> bool:
    """crun 1.8 refuses hosts whose cgroup2 mount (hybrid mode) lists controllers; it is run
    through the crun-hybrid wrapper there (see that script)."""
    try:
        return bool(_UNIFIED_CONTROLLERS.read_text().strip())
    except OSError:
        return False


_MSG = re.compile(r'msg="((?:[^"\\]|\\.)*)"', re.DOTALL)


def error_message(stderr: str) -> str:
    """What runc (or conmon relaying it) said went wrong: the last msg="..." of its logfmt,
    read whole (quotes inside are escaped), so a message is never cut at a quote."""
    found = _MSG.findall(stderr)
    if found:
        return re.sub(r"\\(.)", r"\1", found[-1]).strip()
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"
