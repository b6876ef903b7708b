"""The container root filesystem: an overlay of the image's read-only layers and the
container's own upper directory, so a second container of an image costs no copy.

mount(2) and umount2(2) are called directly: `mount`/`umount` (util-linux) make the same call
after reading fstab and mtab, an exec and ~4 ms per container each way, in a bring-up that
does it for every container."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from richcompose.errors import RuntimeFailure

MNT_DETACH = 2


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def is_mounted(target: Path) -> bool:
    wanted = str(target.resolve()) if target.exists() else str(target)
    with open("/proc/self/mountinfo") as handle:
        return any(line.split()[4] == wanted for line in handle)


def mount_overlay(layers: Sequence[Path], upper: Path, work: Path, target: Path) -> None:
    if not layers:
        raise RuntimeFailure("an image with no layers cannot be a root filesystem")
    for folder in (upper, work, target):
        folder.mkdir(parents=True, exist_ok=True)
    if is_mounted(target):
        return
    lower = ":".join(str(layer) for layer in layers)
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    if _libc().mount(b"overlay", os.fsencode(target), b"overlay", 0,
                     os.fsencode(options)) != 0:
        errno = ctypes.get_errno()
        raise RuntimeFailure(f"overlay mount on {target} failed: {os.strerror(errno)}",
                             hint="an image of many layers can exceed the kernel's one-page "
                                  "limit on mount options" if errno == 22 and
                             len(options) > 4000 else "")


def unmount(target: Path) -> None:
    """Unmounts if mounted; a lazy (detached) unmount as fallback, so `down` never stops
    half-way on a busy mount."""
    if not is_mounted(target):
        return
    path = os.fsencode(target)
    if _libc().umount2(path, 0) != 0:
        _libc().umount2(path, MNT_DETACH)
