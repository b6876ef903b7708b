"""The container root filesystem: an overlay of the image's read-only layers and the
container's own upper directory, so a second container of an image costs no copy."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from richcompose.errors import RuntimeFailure


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
    proc = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(target)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeFailure(f"overlay mount on {target} failed: {proc.stderr.strip()}")


def unmount(target: Path) -> None:
    """Unmounts if mounted; a lazy unmount as fallback so `down` never stops half-way."""
    if not is_mounted(target):
        return
    proc = subprocess.run(["umount", str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, text=True)
