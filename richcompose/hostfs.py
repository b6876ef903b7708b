"""Host-side file access where the path or the file is not ours to trust.

Three jobs, one way each:
- `safe_join`: a name from a project file, a flag or a record joins a host path only as one
  plain path component (no `/`, `..`, `.`, NUL, not empty, not longer than a file name may be),
  so no name can point outside the directory it is joined to.
- `open_beneath` / `read_regular` / `lstat_beneath`: reading inside a directory another party
  can write (a container's run directory, an image snapshot, a named volume) without following
  a symlink out of it or opening a device or FIFO: every component is opened with O_NOFOLLOW
  relative to the directory fd before it (as runc's securejoin/openat2 RESOLVE_BENEATH does),
  the last one with O_PATH (which opens no device) and only a regular file is read, up to a
  size cap.
- `home_of` / `expand_home`: what `~` in a project's paths means, from the environment the
  CLI read once (never the process's own: no stage reads it).
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from collections.abc import Mapping
from pathlib import Path

from richcompose.errors import StateError

NAME_MAX = 255  # bytes in one path component (Linux)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
# Missing, a symlink (ELOOP), a file where a directory should be, a socket or absent device.
_NOT_THERE = (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.ENXIO, errno.ENODEV)


def component_problem(name: str) -> str | None:
    """Why `name` cannot be one path component, or None when it can."""
    if name in ("", ".", ".."):
        return "is not a name" if not name else f"{name!r} names a directory, not an entry"
    if "/" in name or "\0" in name:
        return "holds '/' or NUL"
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        return f"is longer than {NAME_MAX} bytes"
    return None


def safe_join(base: Path, *names: str) -> Path:
    """`base/name/...` where each name is one plain component; StateError otherwise."""
    path = base
    for name in names:
        problem = component_problem(name)
        if problem is not None:
            raise StateError(f"refusing the path name {name!r} under {base}: it {problem}",
                             hint="names of projects, services and volumes are plain words "
                                  "such as web or db-1")
        path = path / name
    return path


def open_dir(path: Path | str) -> int:
    """A directory fd for a path richcompose made itself (its last component not a link)."""
    return os.open(path, _DIR_FLAGS)


def open_beneath(root_fd: int, relative: str, *, directory: bool = False) -> int | None:
    """An fd for the regular file (or, with `directory`, the directory) `relative` inside
    `root_fd`; None when it is missing, of another kind, or the way to it holds a symlink or
    `..`. The last component is first opened with O_PATH, which never opens a device or FIFO,
    and only reopened for reading (through /proc/self/fd, the same inode) once fstat says it
    is a regular file."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    fd = os.dup(root_fd)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = _PATH_FLAGS if last and not directory else _DIR_FLAGS
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                if exc.errno in _NOT_THERE:
                    return None
                raise
            os.close(fd)
            fd = child
        if parts and not directory:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            reopened = os.open(f"/proc/self/fd/{fd}", _READ_FLAGS)
            os.close(fd)
            fd = reopened
        result, fd = fd, -1
        return result
    finally:
        if fd >= 0:
            os.close(fd)


def read_regular(root_fd: int, relative: str, cap: int) -> bytes | None:
    """At most `cap` bytes of the regular file `relative` inside `root_fd`; None when it is
    missing, a symlink, or not a regular file (a device, FIFO, socket or directory)."""
    fd = open_beneath(root_fd, relative)
    if fd is None:
        return None
    try:
        chunks: list[bytes] = []
        left = cap
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def lstat_beneath(root_fd: int, relative: str) -> os.stat_result | None:
    """The entry at `relative` (itself not followed if a symlink), reached without following a
    symlink on the way; None when missing or when the way goes through a symlink."""
    parent, _, name = relative.strip("/").rpartition("/")
    if name in ("", ".", ".."):
        return None
    fd = open_beneath(root_fd, parent, directory=True)
    if fd is None:
        return None
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    finally:
        os.close(fd)


def home_of(environ: Mapping[str, str]) -> str:
    """$HOME of the given environment, else the user's home from the password database."""
    return environ.get("HOME") or pwd.getpwuid(os.geteuid()).pw_dir


def expand_home(value: str, home: str) -> str:
    """`~` and `~/x` from `home`; `~user/x` from the password database (as a shell does)."""
    if value == "~" or value.startswith("~/"):
        return home + value[1:]
    return os.path.expanduser(value) if value.startswith("~") else value
