"""Caps on what images and registries may make richcompose read, store and wait for.

Everything an image source hands over is untrusted: a manifest, config or layer may be of any
size (a 2 MB layer of zeros expands to 2 GiB), a blob may arrive without a declared size or be
longer than declared, and a registry may answer a byte at a time. Each cap stops the transfer
or unpack with an ImageError naming the cap; the defaults fit every real image seen and are
`ImageLimits` fields, passed to `ImageStore(limits=...)`.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30
MAX_ID = (1 << 32) - 2  # uid/gid: 32 bits, and (uid_t)-1 means "unchanged" to chown(2)
MAX_DEVICE_NUMBER = (1 << 32) - 1
MAX_MTIME = 253402300799  # 9999-12-31T23:59:59Z, what Go's time and ext4 both keep
MIN_MTIME = -(1 << 31)
MAX_PATH_BYTES = 4096  # PATH_MAX: longer names cannot be created or opened by the kernel
MAX_NAME_BYTES = 255  # NAME_MAX, per component
MAX_DEPTH = 512  # directories in one path


@dataclass(frozen=True)
class ImageLimits:
    manifest_bytes: int = 4 * MiB  # containerd's limit for manifests and indexes
    config_bytes: int = 8 * MiB
    layer_compressed_bytes: int = 16 * GiB  # a blob as downloaded or read
    layer_expanded_bytes: int = 64 * GiB  # file content one layer may unpack to
    layer_entries: int = 2_000_000
    connect_timeout: float = 15.0  # seconds to open a connection to a registry
    read_timeout: float = 60.0  # seconds one read may wait for any byte
    # A transfer that moves fewer than `stall_bytes` in any `stall_seconds` is cut: a registry
    # trickling a byte every 2 s would otherwise never hit the read timeout.
    stall_seconds: float = 60.0
    stall_bytes: int = 16 << 10
    retries: int = 3  # a cut blob transfer is resumed this many times


def entry_problem(member: tarfile.TarInfo) -> str | None:
    """Why a tar entry's numbers cannot be applied to a file (None when they can)."""
    for field, value, low, high in (("uid", member.uid, 0, MAX_ID),
                                    ("gid", member.gid, 0, MAX_ID),
                                    ("device major", member.devmajor, 0, MAX_DEVICE_NUMBER),
                                    ("device minor", member.devminor, 0, MAX_DEVICE_NUMBER)):
        if not isinstance(value, int) or not low <= value <= high:
            return f"has {field} {value!r}, outside {low}..{high}"
    mtime = member.mtime
    if not isinstance(mtime, int | float) or mtime != mtime or not MIN_MTIME <= mtime <= MAX_MTIME:
        return f"has the modification time {mtime!r}, outside years 1901..9999"
    if member.size < 0:
        return f"has the negative size {member.size}"
    name = member.name.encode("utf-8", "surrogateescape")
    if len(name) > MAX_PATH_BYTES:
        return f"has a path of {len(name)} bytes (at most {MAX_PATH_BYTES})"
    parts = name.split(b"/")
    if len(parts) > MAX_DEPTH:
        return f"is {len(parts)} directories deep (at most {MAX_DEPTH})"
    if any(len(part) > MAX_NAME_BYTES for part in parts):
        return f"has a path component longer than {MAX_NAME_BYTES} bytes"
    return None
