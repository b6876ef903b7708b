"""The `richcompose` entry point. A command that needs no terminal of its own (`up -d`, `down`,
`ps`, `config`, ...) is sent to the warm server of its state root when one is there and matches
this process (wire.identity): the command runs in a fork of the server with this process's
arguments, environment, working directory, umask, limits, scheduling and standard streams, and
this process relays signals to it and exits with its code. Anything else, or any doubt, runs
here, in this process; then a server is started in the background for the next command.

`RICHCOMPOSE_WARM=0` turns the server off (the test suite does: every command runs cold)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from richcompose.warm import wire

# Commands that read no terminal and need not be its foreground process. `up` qualifies only
# detached (attached, it follows logs until Ctrl-C: that works too, but stays in-process so
# that job control behaves as it always has).
SERVED = frozenset({"down", "ps", "ls", "stop", "start", "restart", "kill", "pause", "unpause",
                    "top", "inspect", "port", "images", "config", "graph", "render", "wait"})
_DETACHED = frozenset({"-d", "--detach", "--wait"})
# The global options of cli.build_parser that take a value; any other option before the
# command (an abbreviation argparse would accept, say) makes the command run here.
_VALUED = frozenset({"-f", "--file", "-p", "--project-name", "--project-directory", "--profile",
                     "--env-file", "--root", "--runtime", "--registries-conf"})
_RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
DEFAULT_ROOT = "/var/lib/richcompose"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = served_root(args, os.environ)
    ident = wire.identity() if root is not None else {}
    if root is not None:
        code = run_served(root, ident, args, os.environ)
        if code is not None:
            return code
    from richcompose.cli import main as run_here

    code = run_here(args)
    if root is not None:
        start_server(root, ident, os.environ)
    return code


def served_root(args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The state root whose server may run this command, or None: run it here."""
    if environ.get("RICHCOMPOSE_WARM", "1") == "0":
        return None
    root = environ.get("RICHCOMPOSE_ROOT") or DEFAULT_ROOT
    words = iter(args)
    for word in words:
        name, has_value, value = word.partition("=")
        if word == "--debug":
            continue
        if name in _VALUED and name.startswith("--") and has_value:
            root = value if name == "--root" else root
            continue
        if word in _VALUED:
            value = next(words, "")
            root = value if word == "--root" else root
            continue
        if word.startswith("-") or (word not in SERVED and word != "up"):
            return None
        rest = list(words)
        if word == "up" and not _DETACHED & set(rest):
            return None
        if {"-h", "--help"} & set(rest):
            return None
        return os.path.abspath(root) if root else None
    return None


def run_served(root: str, ident: dict[str, Any], args: Sequence[str],
               environ: Mapping[str, str]) -> int | None:
    """The command's exit code from the server's copy; None if no server took it (nothing of
    the command has run: it is to run here)."""
    try:
        directory = os.open(os.path.join(root, wire.DIRECTORY),
                            os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(directory)
        if st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        with sock:
            try:
                sock.connect(wire.socket_path(directory, wire.key(ident)))
            except OSError:
                return None
            if wire.peer_uid(sock) != os.geteuid():
                return None
            return _converse(sock, ident, args, environ)
    finally:
        os.close(directory)


def _converse(sock: socket.socket, ident: dict[str, Any], args: Sequence[str],
              environ: Mapping[str, str]) -> int | None:
    try:
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    relay = _Relay()
    previous = {sig: signal.signal(sig, relay) for sig in _RELAYED}
    try:
        try:
            wire.send(sock, {"identity": ident, "argv": list(args), "environ": dict(environ),
                             **process_settings()}, [0, 1, 2, cwd])
            reply, _ = wire.receive(sock)
        except OSError:
            reply = {}
        finally:
            os.close(cwd)
        pid = reply.get("pid")
        if not isinstance(pid, int):  # refused (stale code, another identity): nothing ran
            return 128 + relay.pending[0] if relay.pending else None
        relay.to(pid)
        while True:
            try:
                reply, _ = wire.receive(sock)
            except OSError:
                # The server's copy is gone without a word: killed with the server's session.
                print("richcompose: error: the command's process ended without an exit code",
                      file=sys.stderr)
                return 1
            if isinstance(reply.get("exit"), int):
                return int(reply["exit"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Relay:
    """Passes signals on to the command's process; those that come before its pid is known
    are kept and passed on then (or end a command that never started, as they would have)."""

    def __init__(self) -> None:
        self.pid = 0
        self.pending: list[int] = []

    def __call__(self, sig: int, _frame: object) -> None:
        if self.pid:
            _relay(self.pid, sig)
        else:
            self.pending.append(sig)

    def to(self, pid: int) -> None:
        self.pid = pid
        for sig in self.pending:
            _relay(pid, sig)


def _relay(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def process_settings() -> dict[str, Any]:
    """What the server's copy sets to be this process: umask, limits, niceness, CPUs, OOM score
    and the standard streams' encoding."""
    import resource

    mask = os.umask(0)
    os.umask(mask)
    return {
        "umask": mask,
        "rlimits": {name: list(resource.getrlimit(getattr(resource, name)))
                    for name in wire.RLIMITS},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "cpus": sorted(os.sched_getaffinity(0)),
        "oom_score_adj": wire.read_proc("/proc/self/oom_score_adj").strip(),
        "encoding": [getattr(stream, "encoding", None) or "utf-8"
                     for stream in (sys.stdin, sys.stdout, sys.stderr)],
    }


def start_server(root: str, ident: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    """A server for the next command, in the background, with this process's path and identity
    (it exits on its own: wire and server.py say when). Quietly nothing if it cannot start."""
    if not os.path.isdir(root):
        return
    keep = {name: value for name, value in environ.items()
            if name.startswith(("PYTHON", "LC_", "LANG")) or name in ("PATH", "TZ")}
    import json
    import subprocess

    boot = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
            "from richcompose.warm.server import main; raise SystemExit(main(sys.argv[2:]))")
    with contextlib.suppress(OSError):
        subprocess.Popen([sys.executable, "-c", boot, json.dumps(ident["path"]), root],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, cwd="/", env=keep, start_new_session=True,
                         close_fds=True)
