"""A read-only view of a container's filesystem before it exists: the image layers (topmost
first) under the service's bind mounts, with symlinks resolved inside that view.

The bundle stage uses it to check initscripts, find an init or systemd, resolve commands on
the image's PATH and read /etc/passwd, so those errors come before anything starts.

Nothing here follows a link on the host (securejoin's rule): a symlink is read with readlink
and resolved again inside the view (an absolute one from the view's root), each component is
looked up with lstat in each layer as overlayfs would merge them (a non-directory, a whiteout
or an opaque directory hides what is below), and files are opened with O_NOFOLLOW through a
directory fd, regular files only, with a size cap. So an image (or a volume a container wrote)
whose /etc links to the host's /etc shows the image's own view, never the host's files.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

from richcompose import hostfs

_MAX_LINKS = 40
_T = TypeVar("_T")


@dataclass(frozen=True)
class ImageFS:
    layers: Sequence[Path]
    binds: Sequence[tuple[Path, str]] = ()  # (host source, container target)

    def host_path(self, path: str) -> Path | None:
        """Where the container's `path` lives on the host, following symlinks as the container
        would see them; None when it does not exist."""
        parts = list(PurePosixPath("/", path).parts[1:])
        resolved: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self._entry("/" + "/".join([*resolved, part]))
            if candidate is None:
                return None
            if candidate.is_symlink():
                links += 1
                if links > _MAX_LINKS:
                    return None
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in PurePosixPath(target).parts if p != "/"] + parts
                continue
            resolved.append(part)
        return self._entry("/" + "/".join(resolved)) if resolved else self.layers[0] \
            if self.layers else None

    def exists(self, path: str) -> bool:
        return self.host_path(path) is not None

    def is_executable_file(self, path: str) -> bool:
        st = self._beneath(path, hostfs.lstat_beneath)
        return st is not None and stat.S_ISREG(st.st_mode) and bool(st.st_mode & 0o111)

    def read_head(self, path: str, size: int = 256) -> bytes:
        return self.read_file(path, size) or b""

    def read_file(self, path: str, cap: int) -> bytes | None:
        """Up to `cap` bytes of the regular file at `path`; None if there is none."""
        return self._beneath(path, lambda fd, rel: hostfs.read_regular(fd, rel, cap))

    def _beneath(self, path: str, use: Callable[[int, str], _T | None]) -> _T | None:
        """`use(fd, relative)` on the entry `path` resolves to, opened again from the fd of
        its layer or volume with no link followed: a volume the container writes may change
        between the lookup and the use."""
        found = self.host_path(path)
        if found is None:
            return None
        bases = [*(source for source, _ in self.binds), *self.layers]
        base = max((b for b in bases if found.is_relative_to(b)), key=lambda b: len(b.parts),
                   default=None)
        if base is None:
            return None
        folder = hostfs.open_dir(base)
        try:
            return use(folder, str(found.relative_to(base)))
        finally:
            os.close(folder)

    def which(self, command: str, search_path: str) -> str | None:
        """The absolute path a shell would run for `command`, looked up in the image."""
        if "/" in command:
            return command if self.is_executable_file(command) else None
        for folder in search_path.split(":"):
            if folder.startswith("/"):
                candidate = f"{folder.rstrip('/')}/{command}"
                if self.is_executable_file(candidate):
                    return candidate
        return None

    def _entry(self, path: str) -> Path | None:
        """The topmost entry at exactly `path` (no link following), bind mounts first."""
        parts = [p for p in path.split("/") if p]
        for source, target in sorted(self.binds, key=lambda b: len(b[1]), reverse=True):
            inside = [p for p in target.split("/") if p]
            if parts[:len(inside)] == inside:
                found, _ = _walk(source, parts[len(inside):], layered=False)
                return found
        for layer in self.layers:
            found, hides_below = _walk(layer, parts, layered=True)
            if found is not None or hides_below:
                return found
        return None


def _walk(base: Path, parts: list[str], *, layered: bool) -> tuple[Path | None, bool]:
    """`base/parts...` if every directory on the way is a real directory (lstat, never a link)
    and the entry exists; with `layered`, overlayfs' rules for one layer: the second value
    says whether this layer hides the lower ones (a whiteout, a non-directory on the way, or
    an opaque directory)."""
    current = base
    opaque = False
    for index, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return None, opaque
        if layered and stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            return None, True  # a whiteout
        if index == len(parts) - 1:
            return current, True
        if not stat.S_ISDIR(st.st_mode):
            return None, True  # a link or file where a directory is needed: nothing below
        if layered and _is_opaque(current):
            opaque = True
    return current, True


def _is_opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


