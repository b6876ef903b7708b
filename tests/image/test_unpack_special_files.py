"""Unpacking never opens a special file on the host (#10 item 2): a hardlink in an upper layer
to a device node or FIFO of a lower layer recreates the node instead of copying its content up,
which on the host would read a disk, fill the store from /dev/zero or block on a FIFO."""

from __future__ import annotations

import os
import signal
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.store import ImageStore
from tests.image.layouts import OciImage, entry, make_tar, write_oci_layout


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Opening /dev/zero or a FIFO would never end: fail the test instead of hanging it."""
    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("the unpacker opened a special file")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def unpack(store: ImageStore, tmp_path: Path, *layers: bytes) -> Path:
    write_oci_layout(tmp_path / "layout", {"t": OciImage(list(layers))})
    return store.resolve(f"oci:{tmp_path / 'layout'}:t").layers[0]


def device(name: str, kind: bytes, major: int, minor: int) -> tuple[tarfile.TarInfo, bytes]:
    return entry(name, kind, mode=0o666, devmajor=major, devminor=minor)


@pytest.mark.parametrize(("kind", "major", "minor", "fmt"), [
    (tarfile.CHRTYPE, 1, 5, stat.S_IFCHR),   # /dev/zero: endless content
    (tarfile.BLKTYPE, 7, 0, stat.S_IFBLK),   # a loop device: the host's disk content
    (tarfile.CHRTYPE, 240, 0, stat.S_IFCHR),  # no driver: opening it fails
], ids=["dev-zero", "block-device", "unassigned-char-device"])
def test_hardlink_to_a_lower_layer_device_recreates_the_node(
        store: ImageStore, tmp_path: Path, kind: bytes, major: int, minor: int,
        fmt: int) -> None:
    lower = make_tar(device("dev/node", kind, major, minor))
    upper = make_tar(entry("dev/link", tarfile.LNKTYPE, linkname="dev/node"))
    top = unpack(store, tmp_path, lower, upper)
    for name in ("node", "link"):
        st = os.lstat(top / "dev" / name)
        assert stat.S_IFMT(st.st_mode) == fmt
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (major, minor)
    assert os.lstat(top / "dev" / "node").st_ino == os.lstat(top / "dev" / "link").st_ino


def test_hardlink_to_a_lower_layer_fifo_recreates_the_fifo(store: ImageStore,
                                                           tmp_path: Path) -> None:
    lower = make_tar(entry("run/pipe", tarfile.FIFOTYPE, mode=0o644))
    upper = make_tar(entry("run/link", tarfile.LNKTYPE, linkname="run/pipe"))
    top = unpack(store, tmp_path, lower, upper)
    assert stat.S_ISFIFO(os.lstat(top / "run" / "link").st_mode)


def test_hardlink_to_a_device_in_the_same_layer_stays_a_hardlink(store: ImageStore,
                                                                 tmp_path: Path) -> None:
    layer = make_tar(device("dev/disk", tarfile.BLKTYPE, 8, 0),
                     entry("dev/again", tarfile.LNKTYPE, linkname="dev/disk"))
    top = unpack(store, tmp_path, layer)
    assert os.lstat(top / "dev" / "again").st_ino == os.lstat(top / "dev" / "disk").st_ino
    assert stat.S_ISBLK(os.lstat(top / "dev" / "again").st_mode)


def test_copied_up_regular_file_keeps_content_owner_and_setuid_mode(store: ImageStore,
                                                                   tmp_path: Path) -> None:
    lower = make_tar(entry("bin/tool", data=b"#!/bin/sh\n", mode=0o4755, uid=0, gid=7))
    upper = make_tar(entry("bin/alias", tarfile.LNKTYPE, linkname="bin/tool"))
    top = unpack(store, tmp_path, lower, upper)
    st = os.lstat(top / "bin" / "alias")
    assert (top / "bin" / "alias").read_bytes() == b"#!/bin/sh\n"
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o4755, 7)
    assert st.st_ino == os.lstat(top / "bin" / "tool").st_ino


def test_hardlink_to_a_file_a_lower_layer_deleted_is_refused(store: ImageStore,
                                                             tmp_path: Path) -> None:
    bottom = make_tar(entry("f", data=b"x"))
    middle = make_tar(entry(".wh.f"))
    top = make_tar(entry("h", tarfile.LNKTYPE, linkname="f"))
    with pytest.raises(ImageError, match="'h'.*deleted"):
        unpack(store, tmp_path, bottom, middle, top)
