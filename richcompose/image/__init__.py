"""Image stage: a reference (registry name, oci:, oci-archive:, docker-archive:, rootfs dir or
tarball) becomes a local stack of read-only layer directories plus the image's config."""

from richcompose.image.policy import PULL_POLICIES
from richcompose.image.store import ImageStore
from richcompose.image.types import ImageConfig, ImageSummary, LayerEvent, ResolvedImage

__all__ = ["PULL_POLICIES", "ImageConfig", "ImageStore", "ImageSummary", "LayerEvent",
           "ResolvedImage"]
