"""A small ctypes wrapper of Linux inotify: wait for files to appear in a directory without a
polling sleep (conmon's exit files, the monitor's health files, supervision requests)."""

from __future__ import annotations

import ctypes
import os
import select
import struct
import threading
from collections.abc import Iterable
from pathlib import Path

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
DEFAULT_MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE
_HEADER = struct.Struct("iIII")


class Inotify:
    """One inotify instance watching a few directories; `wait()` returns the changed names."""

    def __init__(self, directories: Iterable[Path], mask: int = DEFAULT_MASK) -> None:
        # The interpreter's own symbols include libc's (ctypes.util.find_library would pull in
        # tempfile, random and compression modules: ~2.5 MiB of the monitor's RSS).
        libc = ctypes.CDLL(None, use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.watches: dict[int, Path] = {}
        for directory in directories:
            directory.mkdir(parents=True, exist_ok=True)
            wd = self._add(self.fd, os.fsencode(directory), mask)
            if wd < 0:
                errno = ctypes.get_errno()
                os.close(self.fd)
                raise OSError(errno, f"inotify_add_watch {directory} failed")
            self.watches[wd] = directory
        self._wake_r, self._wake_w = os.pipe()

    def interrupt(self) -> None:
        """Makes a `wait()` in another thread return at once (used to close promptly)."""
        os.write(self._wake_w, b"x")

    def wait(self, timeout: float | None) -> list[Path]:
        """Blocks up to `timeout` seconds for events; returns the paths that changed."""
        ready, _, _ = select.select([self.fd, self._wake_r], [], [], timeout)
        if self.fd not in ready:
            return []
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        changed: list[Path] = []
        offset = 0
        while offset + _HEADER.size <= len(data):
            wd, _mask, _cookie, length = _HEADER.unpack_from(data, offset)
            offset += _HEADER.size
            name = data[offset:offset + length].rstrip(b"\0")
            offset += length
            if wd in self.watches and name:
                changed.append(self.watches[wd] / os.fsdecode(name))
        return changed

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self._wake_r)
            os.close(self._wake_w)
            # Releasing an inotify instance waits for an RCU grace period (~20 ms here), which
            # nothing needs to wait for: a daemon thread does it.
            threading.Thread(target=os.close, args=(self.fd,), daemon=True).start()
            self.fd = -1

    def __enter__(self) -> Inotify:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
