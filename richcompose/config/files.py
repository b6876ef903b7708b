"""Reading the user's text files (project files, includes, `.env` and `env_file`s): regular
files only, size-capped, and every failure a ConfigError that says which file and where it was
named.

Why: a path can name anything. `/dev/zero` or `/dev/urandom` would be read forever, a FIFO
blocks `open` until someone writes, and a NUL byte or a 5,000-character name makes the OS
calls raise instead of answering. The file is checked with stat before it is opened (opening
some devices has effects), opened non-blocking, and checked again on the open descriptor.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from richcompose.errors import ConfigError, Location

# Large enough for any real project file (the biggest seen in the wild is ~1 MB), small enough
# that a mistake cannot exhaust memory.
MAX_TEXT_FILE = 16 << 20
_SHOWN = 120  # characters of a path quoted in a message


def shown(path: Path | str) -> str:
    """A path as a message quotes it: long ones cut, so the error stays one readable line."""
    text = str(path)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN // 2]}…{text[-_SHOWN // 2:]}"


def probe(path: Path, *, what: str, location: Location | None = None) -> os.stat_result | None:
    """stat(2) of a file the user named; None when it does not exist. A name the OS cannot
    use (NUL byte, too long, a loop of links, no permission) is a ConfigError."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError:
        raise ConfigError(f"{what} name contains a NUL byte: {shown(repr(str(path)))}",
                          location=location, hint="remove the \\0 from the path") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ConfigError(f"{what} name is too long ({len(str(path))} characters): "
                              f"{shown(path)}", location=location,
                              hint="a path is at most 4096 bytes, each part at most 255"
                              ) from None
        raise ConfigError(f"cannot use {what} {shown(path)}: {exc.strerror}",
                          location=location) from None


def resolved(path: Path, *, what: str, location: Location | None = None) -> Path:
    """`path` made absolute with links resolved (missing parts kept), the OS's refusals
    reported as `probe` reports them."""
    try:
        return path.resolve()
    except (ValueError, OSError):
        probe(path, what=what, location=location)  # raises the located error
        raise ConfigError(f"cannot use {what} {shown(path)}", location=location) from None


def is_regular_file(path: Path, *, what: str, location: Location | None = None) -> bool:
    """True for a regular file; False when missing; ConfigError for anything else that exists
    (a directory, a device, a FIFO, a socket)."""
    info = probe(path, what=what, location=location)
    if info is None:
        return False
    _require_regular(info.st_mode, path, what, location)
    return True


def read_text(path: Path, *, what: str, location: Location | None = None,
              missing_hint: str = "", limit: int = MAX_TEXT_FILE) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes."""
    data = read_bytes(path, what=what, location=location, missing_hint=missing_hint,
                      limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                          location=Location(str(path), line, column),
                          hint="save the file as UTF-8") from None


def read_bytes(path: Path, *, what: str, location: Location | None = None,
               missing_hint: str = "", limit: int = MAX_TEXT_FILE) -> bytes:
    """The content of a regular file of at most `limit` bytes."""
    info = probe(path, what=what, location=location)
    if info is None:
        raise ConfigError(f"{what} not found: {shown(path)}", location=location,
                          hint=missing_hint)
    _require_regular(info.st_mode, path, what, location)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {shown(path)}: {exc.strerror}",
                          location=location) from None
    with os.fdopen(fd, "rb") as handle:
        # The name may have been swapped between stat and open: trust only the descriptor.
        _require_regular(os.fstat(fd).st_mode, path, what, location)
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read {what} {shown(path)}: {exc.strerror}",
                              location=location) from None
    if len(data) > limit:
        raise ConfigError(f"{what} {shown(path)} is larger than {limit >> 20} MiB; refused",
                          location=location, hint="split it, or check that this is the right file")
    return data


def _require_regular(mode: int, path: Path, what: str, location: Location | None) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{what} {shown(path)} is a directory, not a file", location=location,
                          hint="name the file itself")
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    raise ConfigError(f"{what} {shown(path)} is {kind}; only regular files are read",
                      location=location, hint="name a regular file (copy the content into one)")
