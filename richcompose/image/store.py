"""Resolves image references into ResolvedImage values backed by the local store."""

from __future__ import annotations

from pathlib import Path

from richcompose.errors import ImageError, Location
from richcompose.image.types import ResolvedImage


class ImageStore:
    """Content-addressed image store under `<state root>/images`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve_rootfs(self, path: Path, *, location: Location | None = None) -> ResolvedImage:
        """A root filesystem directory used as the single lower layer, as is."""
        if not path.is_dir():
            raise ImageError(
                f"rootfs {str(path)!r} is not a directory",
                location=location,
                hint="point rootfs: at an unpacked root filesystem directory",
            )
        return ResolvedImage(reference=str(path), layers=(path.resolve(),))

    def resolve(self, reference: str, *, pull: str = "missing",
                location: Location | None = None) -> ResolvedImage:
        raise ImageError(
            f"image references are not supported yet: {reference!r}",
            location=location,
            hint="use rootfs: with a root filesystem directory",
        )
