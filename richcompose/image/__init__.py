"""Image stage: a reference (registry name, oci:, oci-archive:, docker-archive:, rootfs dir or
tarball) becomes a local stack of read-only layer directories plus the image's config."""

from richcompose.image.types import ImageConfig, ResolvedImage

__all__ = ["ImageConfig", "ResolvedImage"]
