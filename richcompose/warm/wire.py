"""What a warm client and server share: the identity that must match before a command may run in
the server's copy, where the socket is, and how messages are framed. Imported by the client on
every command, so only the standard library's cheapest modules."""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

PROTOCOL = 1
DIRECTORY = "warm"  # below the state root, which only its owner (root) may enter
MAX_MESSAGE = 4 << 20
_HEADER = struct.Struct("!I")
_NAMESPACES = ("mnt", "net", "pid", "user", "uts", "ipc", "cgroup")
# What makes a process able to do what it does, besides its uid: a server started by a process
# with fewer capabilities, another LSM label or no_new_privs must not serve one with more (nor
# the reverse).
_STATUS_KEYS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")
RLIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
           "RLIMIT_MEMLOCK", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_STACK")


def identity() -> dict[str, Any]:
    """Everything a forked server copy would otherwise differ in from the client, and which the
    server cannot set for it: user, namespaces, cgroup, privileges, interpreter, code."""
    return {
        "protocol": PROTOCOL,
        "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), sorted(os.getgroups())],
        "namespaces": [_readlink(f"/proc/self/ns/{name}") for name in _NAMESPACES],
        "cgroup": read_proc("/proc/self/cgroup"),
        "privileges": [line for line in read_proc("/proc/self/status").splitlines()
                       if line.split(":", 1)[0] in _STATUS_KEYS],
        "label": read_proc("/proc/self/attr/current"),
        "python": [sys.executable, sys.version, sys.getfilesystemencoding(),
                   sys.flags.utf8_mode, sys.flags.optimize],
        # '' (python -c) is the working directory: the one this process would import from
        "path": [entry or os.getcwd() for entry in sys.path],
        "package": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    }


def key(ident: Mapping[str, Any]) -> str:
    """The socket's name: clients of one identity meet one server. Two identities that collide
    meet a server that refuses one of them (it compares the whole identity), which then runs
    its commands itself."""
    return f"{zlib.crc32(json.dumps(ident, sort_keys=True).encode()):08x}"


def socket_path(directory_fd: int, name: str) -> str:
    """The socket, reached through the directory's fd: no length limit on the state root's
    path (sun_path holds 108 bytes) and no re-resolution of it."""
    return f"/proc/self/fd/{directory_fd}/{name}.sock"


def peer_uid(sock: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return int(uid)


def send(sock: socket.socket, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
    data = json.dumps(message).encode()
    framed = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [framed], list(fds))
        sock.sendall(framed[sent:])
    else:
        sock.sendall(framed)


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict[str, Any], list[int]]:
    """One message and the fds that came with it; ConnectionError when the peer is gone or
    sent something that is not a message. Reads exactly one message's bytes: the next one
    (a copy's exit code right after its pid) stays in the socket for the next call."""
    header, fds, _flags, _addr = socket.recv_fds(sock, _HEADER.size, max_fds) if max_fds \
        else (sock.recv(_HEADER.size), [], 0, None)
    try:
        if not header:
            raise ConnectionError("peer closed the connection")
        header += _recv_exactly(sock, _HEADER.size - len(header))
        (length,) = _HEADER.unpack(header)
        if length > MAX_MESSAGE:
            raise ConnectionError(f"message of {length} bytes")
        message = json.loads(_recv_exactly(sock, length))
        if not isinstance(message, dict):
            raise ConnectionError("message is not an object")
    except (ConnectionError, ValueError) as exc:
        for fd in fds:
            os.close(fd)
        raise ConnectionError(str(exc)) from None
    return message, fds


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < count:
        more = sock.recv(count - len(buffer))
        if not more:
            raise ConnectionError("peer closed the connection")
        buffer += more
    return bytes(buffer)


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def read_proc(path: str) -> str:
    """A /proc file's text, "" when there is none (an LSM that is not there, say)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""
