"""Writing a container's secret and config files (the decisions are bundle/filerefs.py).

The files live in `<container dir>/files/`, a 0700 directory of root's in the 0700 state
root, so no other local user reaches them whatever their mode; each is created afresh
(O_EXCL, O_NOFOLLOW) with the owner and mode the service asked for, because the read-only
bind mount shows the container this very inode.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from richcompose.config.files import read_bytes

if TYPE_CHECKING:
    from richcompose.bundle.filerefs import FileRefMount

MAX_FILE_BYTES = 16 << 20


def write_file_refs(mounts: Sequence[FileRefMount], files_dir: Path) -> None:
    """(Re)writes every file in `files_dir`; a file source that cannot be read is a located
    error naming it."""
    shutil.rmtree(files_dir, ignore_errors=True)
    if not mounts:
        return
    files_dir.mkdir(mode=0o700, parents=True)
    os.chmod(files_dir, 0o700)
    for mount in mounts:
        if mount.file is not None:
            data = read_bytes(mount.file, what=f"{mount.kind} {mount.source!r} file",
                              location=mount.location, limit=MAX_FILE_BYTES,
                              missing_hint=f"create it or fix {mount.kind}s.{mount.source}.file")
        else:
            data = (mount.content or "").encode()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(files_dir / mount.host_name, flags, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchown(fd, mount.uid, mount.gid)
            os.fchmod(fd, mount.mode)
        finally:
            os.close(fd)
