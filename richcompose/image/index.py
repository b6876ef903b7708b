"""The store's catalogue: which references are stored, and what they are made of.

One JSON file (`index.json`) replaced atomically under an exclusive lock, so concurrent
`pull`s and `rmi`s in several processes never lose each other's updates.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from richcompose.errors import StateError


@dataclass(frozen=True)
class ImageRecord:
    reference: str
    digest: str  # manifest digest (registry/OCI), or the tarball digest for a rootfs tarball
    snapshots: list[str]  # snapshot keys, bottom layer first
    blobs: list[str] = field(default_factory=list)  # manifest, config and layer blobs kept
    config: str | None = None  # config blob digest
    size: int = 0
    created: str = ""
    pulled: str = ""  # last time a registry was asked for it (refresh pull policies)


@dataclass
class Catalogue:
    images: dict[str, ImageRecord] = field(default_factory=dict)
    snapshot_sizes: dict[str, int] = field(default_factory=dict)
    # "path|dev|ino|size|mtime_ns" of a rootfs tarball → its digest, to skip rehashing it.
    tarball_digests: dict[str, str] = field(default_factory=dict)


class ImageIndex:
    def __init__(self, root: Path) -> None:
        self._path = root / "index.json"
        self._lock = root / "index.lock"

    def read(self) -> Catalogue:
        try:
            doc: dict[str, Any] = json.loads(self._path.read_text())
        except FileNotFoundError:
            return Catalogue()
        except (OSError, ValueError) as e:
            raise StateError(f"image index {self._path} is unreadable: {e}",
                             hint="remove it and pull the images again") from e
        return Catalogue(
            images={ref: ImageRecord(**rec) for ref, rec in doc.get("images", {}).items()},
            snapshot_sizes=dict(doc.get("snapshot_sizes", {})),
            tarball_digests=dict(doc.get("tarball_digests", {})),
        )

    @contextmanager
    def update(self) -> Iterator[Catalogue]:
        """Read, let the caller change, write back atomically; all under the store lock."""
        with self.locked():
            catalogue = self.read()
            yield catalogue
            doc = {"images": {ref: asdict(rec) for ref, rec in sorted(catalogue.images.items())},
                   "snapshot_sizes": catalogue.snapshot_sizes,
                   "tarball_digests": catalogue.tarball_digests}
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, indent=1) + "\n")
            os.replace(tmp, self._path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock.open("a") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            yield
