"""A read-only view of a container's filesystem before it exists: the image layers (topmost
first) under the service's bind mounts, with symlinks resolved inside that view.

The bundle stage uses it to check initscripts, find an init or systemd and resolve commands
on the image's PATH, so those errors come before anything starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_MAX_LINKS = 40


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
        found = self.host_path(path)
        if found is None:
            return False
        mode = found.stat().st_mode
        return stat.S_ISREG(mode) and bool(mode & 0o111)

    def read_head(self, path: str, size: int = 256) -> bytes:
        found = self.host_path(path)
        if found is None or not found.is_file():
            return b""
        with open(found, "rb") as handle:
            return handle.read(size)

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
        for source, target in sorted(self.binds, key=lambda b: len(b[1]), reverse=True):
            target = target.rstrip("/") or "/"
            if path == target or path.startswith(target.rstrip("/") + "/"):
                inside = source / os.path.relpath(path, target)
                return inside if os.path.lexists(inside) else None
        for layer in self.layers:
            candidate = layer / path.lstrip("/")
            if os.path.lexists(candidate):
                if _is_whiteout(candidate):
                    return None
                return candidate
        return None


def _is_whiteout(path: Path) -> bool:
    # overlayfs whiteouts in an unpacked snapshot: a 0:0 character device.
    mode = path.lstat().st_mode
    return stat.S_ISCHR(mode) and path.lstat().st_rdev == 0
