"""The warm server: imports what commands import, then waits on its socket. For each client of
its own uid whose identity (wire.identity) is its own, it forks; the copy takes the client's
standard streams, working directory, environment, umask, limits, niceness, CPUs and OOM score,
tells the client its pid (for signals), runs `richcompose.cli.main` with the client's
arguments and reports the exit code. The server itself stays single-threaded and runs nothing.

It exits when idle for IDLE_SECONDS, when its socket is removed or replaced (the state root
deleted, say), or when any module it imported changed on disk (an upgrade, an edit: the client
then runs that command itself and starts a fresh server)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import resource
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from richcompose.warm import wire

IDLE_SECONDS = 600.0
# What commands import on first use, besides every module of richcompose (preload()).
LIBRARIES = ("jinja2", "httpx", "zstandard", "rich.console", "rich.table", "rich.progress")


def main(argv: list[str]) -> int:
    (root,) = argv
    ident = wire.identity()  # before any import can change what it says (sys.path, say)
    name = wire.key(ident)
    directory = _open_directory(os.path.join(root, wire.DIRECTORY))
    if directory is None:
        return 1
    lock = os.open(f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                   dir_fd=directory)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another server has this name
    preload()
    if threading.active_count() > 1:
        return 1  # an import started a thread: forking this process would not be safe
    modules = _fingerprint()
    os.umask(0o177)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(f"{name}.sock", dir_fd=directory)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    listener.bind(wire.socket_path(directory, name))
    listener.listen(64)
    inode = os.stat(f"{name}.sock", dir_fd=directory, follow_symlinks=False).st_ino
    _write_pid(directory, name)
    try:
        _serve(listener, ident, modules, lambda: _same_socket(directory, name, inode),
               keep=(lock, directory))
    finally:
        if _same_socket(directory, name, inode):
            for suffix in (".sock", ".pid"):
                with contextlib.suppress(OSError):
                    os.unlink(name + suffix, dir_fd=directory)
    return 0


def preload() -> None:
    """Everything a command would import or build on first use, so that each fork has it."""
    import importlib
    import pkgutil

    import richcompose

    for info in pkgutil.walk_packages(richcompose.__path__, "richcompose."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    for library in LIBRARIES:
        importlib.import_module(library)
    from richcompose.bundle import templates
    from richcompose.cli import parser

    parser()
    templates.compile_all()


def _serve(listener: socket.socket, ident: dict[str, Any], modules: dict[str, tuple[int, int]],
           still_ours: Callable[[], bool], keep: tuple[int, int]) -> None:
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda _sig, _frame: None)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(0))
    children: dict[int, socket.socket] = {}
    last = time.monotonic()
    while True:
        ready, _, _ = select.select([listener.fileno(), wake_read], [], [], 1.0)
        with contextlib.suppress(BlockingIOError):
            os.read(wake_read, 4096)
        _reap(children)
        if listener.fileno() in ready:
            last = time.monotonic()
            conn, _ = listener.accept()
            if wire.peer_uid(conn) != os.geteuid():
                conn.close()
            elif _fingerprint(modules) != modules:
                _refuse(conn, "the installed code changed")
                return
            else:
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    os.close(wake_read)
                    os.close(wake_write)
                    for other in children.values():
                        other.close()
                    for fd in keep:
                        os.close(fd)
                    _run_command(conn, ident)
                children[pid] = conn
        if not still_ours() or (not children and time.monotonic() - last > IDLE_SECONDS):
            return


def _reap(children: dict[int, socket.socket]) -> None:
    """Collects finished copies; one killed by a signal could not report its code itself."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        if os.WIFSIGNALED(status):
            with contextlib.suppress(OSError):
                wire.send(conn, {"exit": 128 + os.WTERMSIG(status)})
        conn.close()


def _refuse(conn: socket.socket, why: str) -> None:
    with contextlib.suppress(OSError):
        wire.send(conn, {"refused": why})
    conn.close()


def _run_command(conn: socket.socket, ident: dict[str, Any]) -> NoReturn:
    """In the fork: become the client's process, run its command, report, exit."""
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    try:
        request, fds = wire.receive(conn, max_fds=4)
    except OSError:
        os._exit(1)
    try:
        if len(fds) != 4 or request.get("identity") != ident:
            raise ValueError("this server serves another identity")
        _become(request, fds)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _refuse(conn, str(exc))
        os._exit(1)
    code = 1
    try:
        wire.send(conn, {"pid": os.getpid()})
        threading.Thread(target=_die_with_client, args=(conn,), daemon=True).start()
        from richcompose.cli import main as run

        code = run(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # a Ctrl-C relayed before the CLI's own handler took over
        code = 130
    except BaseException:  # what the in-process CLI would print before dying
        traceback.print_exc()
    finally:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(OSError):
            wire.send(conn, {"exit": code})
    os._exit(code)


def _die_with_client(conn: socket.socket) -> None:
    """A client killed outright (SIGKILL, which it cannot relay) takes its command with it, as
    it would if the command ran in it: the client sends nothing after its request, so the end
    of the connection is its death."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    os.kill(os.getpid(), signal.SIGKILL)


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """Takes the client's streams, directory, environment and process settings."""
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    os.fchdir(fds[3])
    for fd in fds:
        os.close(fd)
    os.umask(int(request["umask"]))
    for name, (soft, hard) in request["rlimits"].items():
        if name in wire.RLIMITS:
            resource.setrlimit(getattr(resource, name), (int(soft), int(hard)))
    os.setpriority(os.PRIO_PROCESS, 0, int(request["nice"]))
    os.sched_setaffinity(0, [int(cpu) for cpu in request["cpus"]])
    if request["oom_score_adj"]:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write(str(int(request["oom_score_adj"])))
    environ = request["environ"]
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in environ.items()})
    time.tzset()
    sys.argv = ["richcompose", *[str(word) for word in request["argv"]]]
    encodings = request["encoding"]
    streams = (_stream(0, "r", encodings[0], "strict"), _stream(1, "w", encodings[1], "strict"),
               _stream(2, "w", encodings[2], "backslashreplace", line=True))
    for name, stream in zip(("stdin", "stdout", "stderr"), streams, strict=True):
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _stream(fd: int, mode: str, encoding: str, errors: str, line: bool = False) -> io.TextIOWrapper:
    """A standard stream as Python makes it at start-up: line-buffered on a terminal."""
    buffered = open(fd, mode + "b", closefd=False)  # noqa: SIM115 (the stream outlives this)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                            line_buffering=line or os.isatty(fd), write_through=line)


def _fingerprint(known: dict[str, tuple[int, int]] | None = None) -> dict[str, tuple[int, int]]:
    """Modification time and size of every imported module's file (or of those `known`)."""
    paths = known.keys() if known is not None else {
        path for module in list(sys.modules.values())
        if isinstance(path := getattr(module, "__file__", None), str)}
    found: dict[str, tuple[int, int]] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            found[path] = (0, -1)
            continue
        found[path] = (st.st_mtime_ns, st.st_size)
    return found


def _open_directory(path: str) -> int | None:
    """The server's directory, made by and open only to its owner (not followed if a link)."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    st = os.fstat(fd)
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        os.close(fd)
        return None
    return fd


def _same_socket(directory: int, name: str, inode: int) -> bool:
    try:
        return os.stat(f"{name}.sock", dir_fd=directory, follow_symlinks=False).st_ino == inode
    except OSError:
        return False


def _write_pid(directory: int, name: str) -> None:
    fd = os.open(f"{name}.pid", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600,
                 dir_fd=directory)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{os.getpid()}\n")
