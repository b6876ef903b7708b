"""The rich-mode fixtures these tests share (the debootstrap-built systemd root filesystem)."""

from tests.rich.conftest import systemd_rootfs

__all__ = ["systemd_rootfs"]
