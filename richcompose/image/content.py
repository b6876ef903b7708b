"""Content-addressed blobs and layer snapshots on disk.

Layout under the store root:
  blobs/sha256/<hex>        verified blobs (manifests, configs, compressed layers)
  ingest/<hex>.partial      a blob being downloaded; kept across interruptions to resume it
  snapshots/<hex>/          one unpacked layer per diffID (or per root filesystem tarball digest)
  tmp/                      snapshots being unpacked; renamed into place when complete
Nothing is visible under blobs/ or snapshots/ until it is complete and verified.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from richcompose.errors import ImageError

_HASH_CHUNK = 1 << 20


def digest_hex(digest: str) -> str:
    """The hex part of a `sha256:` digest; any other algorithm is refused."""
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef"
                                                               for c in hexpart):
        raise ImageError(f"unsupported or malformed digest {digest!r}",
                         hint="richcompose verifies sha256 digests only")
    return hexpart


class BlobWriter:
    """Writes one blob, resuming a partial file left by an interrupted pull.

    Bytes already in the partial file are hashed on open, so `offset` says where a ranged request
    should start; `commit` verifies size and digest and renames the file into blobs/ atomically.
    """

    def __init__(self, partial: Path, final: Path, digest: str, size: int | None,
                 limit: int | None = None) -> None:
        self.digest = digest
        self.size = size
        self.limit = limit  # the most bytes accepted when the descriptor gives no size
        self._partial = partial
        self._final = final
        self._file = partial.open("ab+")
        # Two pulls of one blob must not interleave their writes into one partial file.
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        # Whoever held the lock may have finished this blob meanwhile: nothing left to do.
        self.complete = final.exists()
        self._hash = hashlib.sha256()
        self._file.seek(0)
        while chunk := self._file.read(_HASH_CHUNK):
            self._hash.update(chunk)
        self.offset = self._file.tell()
        if not self.complete and size is not None and self.offset > size:
            self.restart()

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.offset += len(data)
        if self.size is not None and self.offset > self.size:
            self.discard()
            raise ImageError(f"blob {self.digest} is larger than its descriptor's {self.size} "
                             "bytes; refused", hint="the source is corrupt or hostile")
        if self.size is None and self.limit is not None and self.offset > self.limit:
            self.discard()
            raise ImageError(f"blob {self.digest} has no declared size and is larger than "
                             f"{self.limit} bytes; refused",
                             hint="raise ImageLimits.layer_compressed_bytes if it is trusted")

    def restart(self) -> None:
        """The source cannot resume: start again from byte 0."""
        self._file.seek(0)
        self._file.truncate()
        self._hash = hashlib.sha256()
        self.offset = 0

    def discard(self) -> None:
        """Drops the partial file: what it holds can never become this blob."""
        self.restart()
        with suppress(OSError):
            if os.stat(self._partial).st_ino == os.fstat(self._file.fileno()).st_ino:
                os.unlink(self._partial)

    def commit(self) -> Path:
        if self.complete:
            return self._final
        actual = f"sha256:{self._hash.hexdigest()}"
        if actual != self.digest or (self.size is not None and self.offset != self.size):
            self.discard()
            raise ImageError(f"blob {self.digest} failed verification: got {actual}, "
                             f"{self.offset} bytes", hint="the source is corrupt or tampered with")
        self._file.flush()
        os.fsync(self._file.fileno())
        os.rename(self._partial, self._final)
        return self._final

    def close(self) -> None:
        if self.complete:
            # We may have created an empty partial after the blob was committed: drop it.
            with suppress(OSError):
                if os.stat(self._partial).st_ino == os.fstat(self._file.fileno()).st_ino != \
                        os.stat(self._final).st_ino:
                    os.unlink(self._partial)
        self._file.close()

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass
class SnapshotDraft:
    path: Path
    key: str | None


class ContentStore:
    """Blobs by digest and snapshots by diffID under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Snapshots keep setuid files and device nodes as the layers have them: only root may
        # reach them, even where the store lives outside a closed state root.
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        for sub in ("blobs/sha256", "ingest", "snapshots", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest_hex(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def read_blob(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def writer(self, digest: str, size: int | None, limit: int | None = None) -> BlobWriter:
        hexpart = digest_hex(digest)
        return BlobWriter(self.root / "ingest" / f"{hexpart}.partial", self.blob_path(digest),
                          digest, size, limit)

    def put_blob(self, data: bytes, digest: str | None = None) -> str:
        """Store small bytes (manifests, configs); verified against `digest` when given."""
        actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if digest is not None and digest != actual:
            raise ImageError(f"content does not match its digest {digest} (got {actual})",
                             hint="the source is corrupt or tampered with")
        if not self.has_blob(actual):
            with self.writer(actual, len(data)) as w:
                if not w.complete:
                    w.restart()
                    w.write(data)
                    w.commit()
        return actual

    def adopt_blobs(self, directory: Path) -> None:
        """Hard-link (copy across filesystems) the blobs of a local OCI layout into blobs/,
        each checked against its name: the builder's output is verified like a download."""
        for path in directory.iterdir():
            digest = f"sha256:{path.name}"
            if not path.is_file() or path.is_symlink() or self.has_blob(digest):
                continue
            with path.open("rb") as f:
                actual = hashlib.file_digest(f, "sha256").hexdigest()
            if actual != path.name:
                raise ImageError(f"blob {path} does not match its name (got sha256:{actual})")
            tmp = self.root / "ingest" / f"{path.name}.adopt"
            tmp.unlink(missing_ok=True)
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)
            os.rename(tmp, self.blob_path(digest))

    def snapshot_path(self, key: str) -> Path:
        return self.root / "snapshots" / digest_hex(key)

    def has_snapshot(self, key: str) -> bool:
        return self.snapshot_path(key).is_dir()

    @contextmanager
    def new_snapshot(self, key: str | None) -> Iterator[SnapshotDraft]:
        """A fresh directory to unpack into, renamed to the snapshot `key` on success (the key
        may be set on the draft once known), removed on error."""
        prefix = digest_hex(key)[:12] + "-" if key else "draft-"
        draft = SnapshotDraft(Path(tempfile.mkdtemp(prefix=prefix, dir=self.root / "tmp")), key)
        try:
            yield draft
            if draft.key is None:
                raise ImageError("internal error: snapshot finished without a key")
            try:
                os.rename(draft.path, self.snapshot_path(draft.key))
            except OSError:
                if not self.has_snapshot(draft.key):
                    raise
                # A concurrent pull unpacked the same layer first: keep theirs.
        finally:
            if draft.path.exists():
                shutil.rmtree(draft.path)

    def remove_unreferenced(self, blobs: set[str], snapshots: set[str]) -> int:
        """Delete blobs and snapshots not named in the sets, and leftovers; bytes freed (approx)."""
        freed = 0
        for path in (self.root / "blobs" / "sha256").iterdir():
            if f"sha256:{path.name}" not in blobs:
                freed += path.stat().st_size
                path.unlink()
        for path in (self.root / "snapshots").iterdir():
            if f"sha256:{path.name}" not in snapshots:
                shutil.rmtree(path)
        for sub in ("ingest", "tmp"):
            for path in (self.root / sub).iterdir():
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    freed += path.lstat().st_size
                    path.unlink()
        return freed


def write_layout_index(layout: Path, manifest: bytes, tag: str) -> None:
    """`oci-layout` and an `index.json` naming one manifest (already in blobs/) as `tag`."""
    doc = json.loads(manifest)
    media_type = doc.get("mediaType") if isinstance(doc, dict) else None
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": media_type or "application/vnd.oci.image.manifest.v1+json",
        "digest": f"sha256:{hashlib.sha256(manifest).hexdigest()}", "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
