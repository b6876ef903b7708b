"""Safe, streaming unpacking of one layer tarball into an empty snapshot directory.

Rules (see docs/images.md): no entry may land outside the snapshot. Names that are absolute or
hold `..` are refused, and no path component is ever followed through a symlink, so a symlink
planted by an earlier entry (or layer) cannot redirect a later write. Hardlinks must point at a
file inside the layer (or a lower layer, which is copied up as overlayfs would). No special file
is ever opened on the host: a hardlink to a lower layer's device node or FIFO recreates the node,
and a copied-up regular file is read through an O_NOFOLLOW fd up to its size. Whiteouts become
overlayfs whiteouts: `.wh.NAME` a 0/0 character device, `.wh..wh..opq` the opaque xattr.
Ownership, modes, times, device nodes and xattrs are kept; `trusted.overlay.*` xattrs from the
tarball are dropped, since they would let a layer forge whiteouts or redirects.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat
import sys
import tarfile
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from richcompose.errors import ImageError
from richcompose.image.filepool import FilePool, create_exclusive, set_file_attributes
from richcompose.image.limits import ImageLimits, entry_problem

DEFAULT_LIMITS = ImageLimits()

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_SMALL_FILE = 1 << 20  # written on worker threads; larger files stream in the main thread
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class UnpackResult:
    diff_id: str  # sha256 of the uncompressed tar stream
    blob_digest: str  # sha256 of the stream as read (compressed or not)
    size: int  # bytes of file content written
    entries: int


class _Reader:
    """A read-through wrapper that hashes and/or counts what passes."""

    def __init__(self, raw: BinaryIO, *, hash_it: bool,
                 on_bytes: Callable[[int], None] | None = None, limit: int | None = None) -> None:
        self._raw = raw
        self._hash = hashlib.sha256() if hash_it else None
        self._on_bytes = on_bytes
        self._limit = limit
        self._count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._count += len(data)
        if self._limit is not None and self._count > self._limit:
            raise ImageError(f"layer is larger than {self._limit} bytes; refused",
                             hint="raise ImageLimits.layer_compressed_bytes if it is trusted")
        if self._hash is not None:
            self._hash.update(data)
        if self._on_bytes is not None and data:
            self._on_bytes(len(data))
        return data

    def drain(self) -> None:
        while self.read(_COPY_CHUNK):
            pass

    def hexdigest(self) -> str:
        assert self._hash is not None
        return self._hash.hexdigest()


def compression_of(raw: BinaryIO) -> str:
    """gzip, zstd or none, by magic bytes: media types in the wild are not reliable."""
    head = raw.read(4)
    raw.seek(-len(head), os.SEEK_CUR)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "none"


def _decompressed(raw: BinaryIO, compression: str) -> BinaryIO:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        import zstandard  # loaded for zstd layers only (~50 ms)

        return zstandard.ZstdDecompressor().stream_reader(raw)
    return raw


def _read_errors() -> tuple[type[Exception], ...]:
    """What reading a bad layer raises; zstandard's errors only once a zstd layer loaded it."""
    module = sys.modules.get("zstandard")
    zstd: tuple[type[Exception], ...] = (module.ZstdError,) if module is not None else ()
    return (tarfile.TarError, EOFError, OSError, *zstd)


def unpack_layer(blob: BinaryIO, dest: Path, *, name: str, lowers: Sequence[Path] = (),
                 whiteouts: bool = True, blob_digest: str | None = None,
                 on_bytes: Callable[[int], None] | None = None,
                 limits: ImageLimits = DEFAULT_LIMITS) -> UnpackResult:
    """Unpack the (possibly compressed) tar `blob` into the empty directory `dest`.

    `name` identifies the layer in errors; `lowers` are the snapshots below it, topmost first,
    consulted only for hardlinks to files of lower layers. Raises ImageError naming the entry
    on anything unsafe, or when the blob does not match `blob_digest`; the caller discards
    `dest` then.
    """
    compression = compression_of(blob)
    counted = _Reader(blob, hash_it=True, on_bytes=on_bytes,
                      limit=limits.layer_compressed_bytes)
    plain = _Reader(_decompressed(counted, compression), hash_it=True)  # type: ignore[arg-type]
    writer = _Writer(dest, name, lowers, whiteouts, FilePool(name), limits)
    try:
        with tarfile.open(fileobj=plain, mode="r|", bufsize=_COPY_CHUNK) as tar:  # type: ignore[call-overload]
            for member in tar:
                writer.add(member, tar)
        plain.drain()
        counted.drain()
        writer.finish()
    except _read_errors() as e:
        raise ImageError(f"layer {name} cannot be read: {e}",
                         hint="the layer is not a valid (gzip/zstd) tar archive") from e
    finally:
        writer.close()
    read_digest = f"sha256:{counted.hexdigest()}"
    if blob_digest is not None and read_digest != blob_digest:
        raise ImageError(f"layer {name} does not match its digest {blob_digest}",
                         hint="the source is corrupt or tampered with")
    return UnpackResult(f"sha256:{plain.hexdigest()}", read_digest, writer.size, writer.entries)


class _Writer:
    def __init__(self, dest: Path, name: str, lowers: Sequence[Path], whiteouts: bool,
                 pool: FilePool, limits: ImageLimits = DEFAULT_LIMITS) -> None:
        self.root = str(dest)
        self.limits = limits
        self._pool = pool
        self.name = name
        self.lowers = [str(p) for p in lowers]
        self.whiteouts = whiteouts
        self.size = 0
        self.entries = 0
        self._dirs: set[str] = {""}  # relative dirs known to be real directories, not symlinks
        self._dir_times: list[tuple[str, int]] = []
        os.chmod(self.root, 0o755)

    def add(self, m: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        self.entries += 1
        self._check_limits(m)
        rel = self._normalise(m.name, m.name)
        parent, _, base = rel.rpartition("/")
        try:
            if self.whiteouts and base.startswith(_WHITEOUT):
                self._whiteout(m.name, parent, base)
            elif m.isdir():
                self._directory(m, rel)
            elif m.isreg():
                self._file(m, rel, tar)
            elif m.issym():
                self._symlink(m, rel)
            elif m.islnk():
                self._hardlink(m, rel)
            elif m.ischr() or m.isblk() or m.isfifo():
                self._device(m, rel)
            else:
                raise self._refuse(m.name, f"has unsupported tar type {m.type!r}")
        except OSError as e:
            raise ImageError(f"layer {self.name}: cannot unpack entry {m.name!r}: {e}") from e

    def _check_limits(self, m: tarfile.TarInfo) -> None:
        """Numbers the kernel cannot take (uid 99999999999, mtime 1e30, a 2,000-level path)
        and layers past the caps are refused before anything is written for the entry."""
        problem = entry_problem(m)
        if problem:
            raise self._refuse(m.name[:200], problem)
        if self.entries > self.limits.layer_entries:
            raise ImageError(f"layer {self.name} has more than {self.limits.layer_entries} "
                             "entries; refused", hint="raise ImageLimits.layer_entries if "
                             "the image is trusted")
        if m.isreg() and self.size + m.size > self.limits.layer_expanded_bytes:
            raise ImageError(f"layer {self.name} expands to more than "
                             f"{self.limits.layer_expanded_bytes} bytes; refused",
                             hint="raise ImageLimits.layer_expanded_bytes if the image is "
                             "trusted")

    def finish(self) -> None:
        self._pool.wait_all()
        # Directory times last, deepest first: creating children changed them.
        for rel, mtime_ns in reversed(self._dir_times):
            if rel in self._dirs:  # not replaced by a later entry
                os.utime(self._full(rel), ns=(mtime_ns, mtime_ns), follow_symlinks=False)

    def close(self) -> None:
        self._pool.close()

    # -- entry kinds ---------------------------------------------------------------------------

    def _whiteout(self, entry: str, parent: str, base: str) -> None:
        self._ensure_dir(parent, entry)
        if base == _OPAQUE:
            os.setxattr(self._full(parent), "trusted.overlay.opaque", b"y")
            return
        if base.startswith(_WHITEOUT * 2):
            return  # aufs bookkeeping (.wh..wh.plnk, ...): meaningless to overlayfs
        hidden = base[len(_WHITEOUT):]
        if hidden in ("", ".", ".."):
            raise self._refuse(entry, "is a whiteout of an invalid name")
        full = self._clear(_join(parent, hidden))
        os.mknod(full, stat.S_IFCHR | 0o000, os.makedev(0, 0))

    def _directory(self, m: tarfile.TarInfo, rel: str) -> None:
        if rel:
            self._ensure_dir(rel.rpartition("/")[0], m.name)
            full = self._full(rel)
            self._pool.wait(rel)
            try:
                is_dir = stat.S_ISDIR(os.lstat(full).st_mode)
            except FileNotFoundError:
                is_dir = False
            if not is_dir:
                self._clear(rel)
                os.mkdir(full, 0o700)
            self._dirs.add(rel)
        full = self._full(rel)
        self._attributes(full, m)
        self._dir_times.append((rel, _mtime_ns(m)))

    def _file(self, m: tarfile.TarInfo, rel: str, tar: tarfile.TarFile) -> None:
        full = self._prepare(rel, m.name)
        source = tar.extractfile(m)
        assert source is not None
        self.size += m.size
        mode, mtime = m.mode & 0o7777, _mtime_ns(m)
        if m.size <= _SMALL_FILE:
            self._pool.submit(rel, full, source.read(), m.uid, m.gid, mode, _xattrs(m), mtime,
                              m.name)
            return
        fd = create_exclusive(full)
        try:
            with open(fd, "wb", closefd=False) as out:
                shutil.copyfileobj(source, out, _COPY_CHUNK)
            set_file_attributes(fd, m.uid, m.gid, mode, _xattrs(m), mtime)
        finally:
            os.close(fd)

    def _symlink(self, m: tarfile.TarInfo, rel: str) -> None:
        # The target is stored verbatim: it is resolved later, inside the container's root.
        full = self._prepare(rel, m.name)
        os.symlink(m.linkname, full)
        os.chown(full, m.uid, m.gid, follow_symlinks=False)
        for key, value in _xattrs(m):
            os.setxattr(full, key, value, follow_symlinks=False)
        mtime = _mtime_ns(m)
        os.utime(full, ns=(mtime, mtime), follow_symlinks=False)

    def _hardlink(self, m: tarfile.TarInfo, rel: str) -> None:
        target = self._normalise(m.linkname, m.name)
        if target == rel:
            return
        target_full = self._find_link_target(target, m.name)
        full = self._prepare(rel, m.name)
        if stat.S_ISDIR(os.lstat(target_full).st_mode):
            raise self._refuse(m.name, f"is a hardlink to the directory {m.linkname!r}")
        os.link(target_full, full, follow_symlinks=False)

    def _device(self, m: tarfile.TarInfo, rel: str) -> None:
        full = self._prepare(rel, m.name)
        kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
        os.mknod(full, kind | 0o600, os.makedev(m.devmajor, m.devminor))
        self._attributes(full, m)
        mtime = _mtime_ns(m)
        os.utime(full, ns=(mtime, mtime), follow_symlinks=False)

    # -- path safety ---------------------------------------------------------------------------

    def _normalise(self, name: str, entry: str) -> str:
        if name.startswith("/"):
            raise self._refuse(entry, f"has the absolute path {name!r}")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise self._refuse(entry, f"has '..' in the path {name!r}")
        return "/".join(parts)

    def _ensure_dir(self, rel: str, entry: str) -> None:
        """Make `rel` a real directory, creating missing parents; never through a symlink."""
        if rel in self._dirs:
            return
        self._ensure_dir(rel.rpartition("/")[0], entry)
        full = self._full(rel)
        self._pool.wait(rel)
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            self._implicit_dir(rel, full)
        else:
            if stat.S_ISLNK(mode):
                raise self._refuse(entry, f"would be written through the symlink {rel!r}")
            if not stat.S_ISDIR(mode):
                raise self._refuse(entry, f"needs {rel!r} to be a directory, but it is a file")
        self._dirs.add(rel)

    def _implicit_dir(self, rel: str, full: str) -> None:
        """A parent the tarball does not list: like overlayfs' copy-up, it takes the owner and
        mode of the lower layers' directory, which it would otherwise mask with root's 0755."""
        os.mkdir(full, 0o755)
        for lower in self.lowers:
            found = _lookup_no_symlinks(lower, rel)
            if found is not None:
                st = os.lstat(found)
                if stat.S_ISDIR(st.st_mode):
                    os.chown(full, st.st_uid, st.st_gid)
                    os.chmod(full, stat.S_IMODE(st.st_mode))
                    os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns))
                    self._dir_times.append((rel, st.st_mtime_ns))
                return

    def _prepare(self, rel: str, entry: str) -> str:
        """Parent made safe, any previous entry at `rel` removed: ready for an exclusive create."""
        if not rel:
            raise self._refuse(entry, "replaces the root directory with a non-directory")
        self._ensure_dir(rel.rpartition("/")[0], entry)
        return self._clear(rel)

    def _clear(self, rel: str) -> str:
        full = self._full(rel)
        self._pool.wait(rel)
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            return full
        if stat.S_ISDIR(mode):
            self._pool.wait_all()  # writes may be pending inside
            shutil.rmtree(full)
            self._dirs = {d for d in self._dirs if d != rel and not d.startswith(rel + "/")}
        else:
            os.unlink(full)
        return full

    def _find_link_target(self, target: str, entry: str) -> str:
        self._pool.wait(target)
        if _lookup_no_symlinks(self.root, target) is not None:
            return self._full(target)
        for lower in self.lowers:
            found = _lookup_no_symlinks(lower, target)
            if found is not None:
                # Copy up, as overlayfs would: the link then joins the copy in this layer.
                full = self._prepare(target, entry)
                self._copy_up(found, full, entry)
                return full
        raise self._refuse(entry, f"is a hardlink to {target!r}, which is not in the image "
                                  "(or is reached through a symlink)")

    def _copy_up(self, found: str, full: str, entry: str) -> None:
        """Recreate a lower layer's entry in this one without ever opening a special file: a
        device or FIFO is made again with mknod (opening a hardlinked block device would copy
        the host's disk into the image), a regular file is read through an O_NOFOLLOW fd and
        no further than the size it had when looked at."""
        st = os.lstat(found)
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFREG:
            _copy_regular(found, full, st)
        elif kind in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO):
            if kind == stat.S_IFCHR and st.st_rdev == 0:
                raise self._refuse(entry, "is a hardlink to a file a lower layer deleted")
            os.mknod(full, kind | 0o600, st.st_rdev)
        elif kind == stat.S_IFLNK:
            os.symlink(os.readlink(found), full)
        else:
            raise self._refuse(entry, "is a hardlink to something that is not a file")
        os.chown(full, st.st_uid, st.st_gid, follow_symlinks=False)
        if kind != stat.S_IFLNK:
            os.chmod(full, stat.S_IMODE(st.st_mode))  # after chown, which clears setuid bits
        os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)

    def _attributes(self, full: str, m: tarfile.TarInfo) -> None:
        os.chown(full, m.uid, m.gid, follow_symlinks=False)
        os.chmod(full, m.mode & 0o7777)
        for key, value in _xattrs(m):
            os.setxattr(full, key, value, follow_symlinks=False)

    def _full(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else self.root

    def _refuse(self, entry: str, why: str) -> ImageError:
        return ImageError(f"layer {self.name}: entry {entry!r} {why}; refused",
                          hint="the layer tries to write outside its root filesystem or is "
                               "malformed; nothing was unpacked")


def _lookup_no_symlinks(root: str, rel: str) -> str | None:
    """`root/rel` if it exists and no directory on the way is a symlink, else None."""
    path = root
    parts = rel.split("/")
    for i, part in enumerate(parts):
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return None
        if i < len(parts) - 1 and not stat.S_ISDIR(mode):
            return None
    return path


def _copy_regular(source: str, dest: str, seen: os.stat_result) -> None:
    src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
            raise ImageError(f"{source} changed while it was copied up")
        out = create_exclusive(dest)
        try:
            left = st.st_size  # never more than it had: a growing file cannot fill the disk
            while left > 0:
                sent = os.sendfile(out, src, None, min(left, _COPY_CHUNK))
                if sent == 0:
                    break
                left -= sent
            for key in os.listxattr(src):
                if not key.startswith("trusted.overlay."):
                    os.setxattr(out, key, os.getxattr(src, key))
        finally:
            os.close(out)
    finally:
        os.close(src)


def _join(parent: str, base: str) -> str:
    return f"{parent}/{base}" if parent else base


def _mtime_ns(m: tarfile.TarInfo) -> int:
    # A pax mtime has nanoseconds as text; tarfile's float would lose the last digits.
    exact = m.pax_headers.get("mtime")
    if exact:
        with suppress(ArithmeticError, ValueError):
            return int(Decimal(exact).scaleb(9))
    return int(m.mtime) * 1_000_000_000


def _xattrs(m: tarfile.TarInfo) -> list[tuple[str, bytes]]:
    out = []
    for key, value in m.pax_headers.items():
        if key.startswith("SCHILY.xattr."):
            attr = key[len("SCHILY.xattr."):]
            if not attr.startswith("trusted.overlay."):
                out.append((attr, value.encode("utf-8", "surrogateescape")))
    return out
