"""A VM's disk: the writable layer of a container built from a `rootfs:` (or of any service
with `keep_layer: true`) outlives the container. It lives beside the containers, under
<root>/disks/<project>/<container id>/{upper,work}, with base.json naming the root filesystem
it was made on; recreating the container for a changed configuration mounts the same layer
over the same rootfs again, `down` leaves it, `down -v` removes it.

The rule (docs/vm-migration.md): a disk is only ever put back on the rootfs it was made on. A
changed rootfs/image refuses to recreate unless `--force-recreate`, which discards the disk
with a one-line warning naming what is lost. The planner decides (plan.py: Desired.layer_*,
Reason.DISK_REFUSED / DISK_DISCARDED); the executor and Containers.create act.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from richcompose.errors import Location, RuntimeFailure
from richcompose.state import LayerDirs, StatePaths

if TYPE_CHECKING:  # `ps` reads disks without building any model
    from richcompose.config.models import Service
    from richcompose.engine.records import ContainerRecord
    from richcompose.image.types import ResolvedImage


def keeps_layer(service: Service) -> bool:
    """`keep_layer:` when given, else yes for a VM's `rootfs:`, no for an image."""
    return service.keep_layer if service.keep_layer is not None else service.rootfs is not None


def base_of(image: ResolvedImage) -> str:
    """What the disk sits on: the image's digest, or a directory rootfs's path (used as is)."""
    if image.digest:
        return image.digest
    return f"dir:{image.layers[0]}" if image.layers else image.reference


@dataclass(frozen=True)
class DiskPaths(LayerDirs):
    @property
    def base_file(self) -> Path:
        return self.dir / "base.json"  # ours: written by the host, never by the container


def project_disks(paths: StatePaths, project: str) -> Path:
    return paths.root / "disks" / project


def disk_paths(paths: StatePaths, project: str, container_id: str) -> DiskPaths:
    return DiskPaths(project_disks(paths, project) / container_id)


def read_base(disk: DiskPaths) -> dict[str, str] | None:
    try:
        data = json.loads(disk.base_file.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_base(disk: DiskPaths, base: str, reference: str) -> None:
    disk.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = disk.base_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"base": base, "image": reference}) + "\n")
    tmp.replace(disk.base_file)


def found_base(disk: DiskPaths) -> str:
    """The base of the disk on the host ("" when there is none yet): what the planner
    compares with the wanted base (engine/plan.py, Desired.layer_found)."""
    recorded = read_base(disk)
    return str(recorded.get("base", "")) if recorded else ""


def _what_is_lost(record: ContainerRecord, reference: str) -> str:
    where = DiskPaths(Path(record.disk))
    made_on = (read_base(where) or {}).get("image", "?")
    return (f"its disk (the writable layer, {human_size(size_of(where.upper))} at "
            f"{where.upper}) was made on {made_on} and the rootfs is now {reference}")


def refusal(record: ContainerRecord, reference: str, location: Location | None
            ) -> RuntimeFailure:
    return RuntimeFailure(
        f"service {record.service!r}: not recreated: {_what_is_lost(record, reference)}",
        location=location,
        hint=f"restore the old rootfs, or back the disk up (`richcompose disk export "
             f"{record.service} FILE.tar`) and run `up --force-recreate` to start a fresh one")


def discard_notice(record: ContainerRecord, reference: str) -> str:
    return f"--force-recreate discards the disk of service {record.service!r}: " \
        + _what_is_lost(record, reference)


def discard(disk: DiskPaths) -> None:
    shutil.rmtree(disk.dir, ignore_errors=True)


def size_of(folder: Path) -> int:
    """Bytes used by the files under `folder` (a container-writable tree: lstat only, links
    are not followed, nothing is opened)."""
    total = 0
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in (*dirs, *files):
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_blocks * 512
    return total


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1000
    return f"{value:.1f}GB"


def export(disk: DiskPaths, output: Path) -> int:
    """Writes the layer as a tar for a backup (overlayfs whiteouts included, as the character
    devices they are) and returns the bytes written. The layer is container-writable: it is
    walked through directory fds, each file opened O_NOFOLLOW relative to its directory and
    checked to be regular, so no link or special file is ever followed or opened."""
    with tarfile.open(output, "w") as archive:
        for top, dirs, files, dirfd in os.fwalk(disk.upper, follow_symlinks=False):
            relative = os.path.relpath(top, disk.upper)
            for name in sorted((*dirs, *files)):
                _add_entry(archive, os.path.normpath(os.path.join(relative, name)), name, dirfd)
    return output.stat().st_size


def _add_entry(archive: tarfile.TarFile, arcname: str, name: str, dirfd: int) -> None:
    st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    info = tarfile.TarInfo(arcname)
    info.mode, info.uid, info.gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
    info.mtime = int(st.st_mtime)
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(st.st_mode):
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(name, dir_fd=dirfd)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    elif stat.S_ISFIFO(st.st_mode):
        info.type = tarfile.FIFOTYPE
    elif stat.S_ISREG(st.st_mode):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dirfd)
        with os.fdopen(fd, "rb") as handle:
            now = os.fstat(handle.fileno())
            if not stat.S_ISREG(now.st_mode):
                return  # swapped for something else since the stat: skip it
            info.size = now.st_size
            archive.addfile(info, handle)
        return
    else:
        return  # sockets: nothing to keep
    archive.addfile(info)
