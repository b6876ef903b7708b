"""The image fixtures (busybox layout, loopback registries) are shared with tests/image."""

from tests.image.conftest import busybox_layout

__all__ = ["busybox_layout"]
