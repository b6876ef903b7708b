"""Image stage: a reference (registry name, oci:, oci-archive:, docker-archive:, rootfs dir or
tarball) becomes a local stack of read-only layer directories plus the image's config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from richcompose.image.types import ImageConfig, ImageSummary, LayerEvent, ResolvedImage

if TYPE_CHECKING:
    from richcompose.image.policy import PULL_POLICIES
    from richcompose.image.store import ImageStore

__all__ = ["PULL_POLICIES", "ImageConfig", "ImageStore", "ImageSummary", "LayerEvent",
           "ResolvedImage"]


def __getattr__(name: str) -> Any:
    # The store (content, unpack, registry client) and the pull policies (config units) load
    # on first use: `image.reference`, `image.defaults` and friends come without them.
    if name == "ImageStore":
        from richcompose.image.store import ImageStore

        return ImageStore
    if name == "PULL_POLICIES":
        from richcompose.image.policy import PULL_POLICIES

        return PULL_POLICIES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
