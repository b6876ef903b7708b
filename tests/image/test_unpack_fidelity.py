"""Layers unpack with owners, modes, times, xattrs, links, devices and overlay whiteouts."""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.image.store import ImageStore
from tests.image.layouts import OciImage, entry, make_tar, write_oci_layout


def pull(store: ImageStore, tmp_path: Path, *layers: bytes,
         compression: str = "gzip") -> list[Path]:
    write_oci_layout(tmp_path / "layout", {"t": OciImage(list(layers), compression=compression)})
    return list(store.resolve(f"oci:{tmp_path / 'layout'}:t").layers)


@pytest.fixture
def overlay(tmp_path: Path) -> Iterator[Path]:
    """A mount point; whatever is mounted there in the test is unmounted afterwards."""
    mnt = tmp_path / "merged"
    mnt.mkdir()
    yield mnt
    if os.path.ismount(mnt):
        subprocess.run(["umount", str(mnt)], check=True)


def test_owner_mode_and_mtime_are_kept(store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("bin", tarfile.DIRTYPE, mode=0o750, uid=7, gid=8, mtime=1_600_000_000),
        entry("bin/su", data=b"#!", mode=0o4755, uid=1234, gid=5678, mtime=1_650_000_000)))
    su = os.lstat(layer / "bin" / "su")
    assert (su.st_uid, su.st_gid) == (1234, 5678)
    assert stat.S_IMODE(su.st_mode) == 0o4755
    assert su.st_mtime == 1_650_000_000
    bin_dir = os.lstat(layer / "bin")
    assert (stat.S_IMODE(bin_dir.st_mode), bin_dir.st_uid, bin_dir.st_gid) == (0o750, 7, 8)
    assert bin_dir.st_mtime == 1_600_000_000


def test_xattrs_are_kept(store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("f", data=b"x", xattrs={"user.note": "hello", "trusted.mark": "1"})))
    assert os.getxattr(layer / "f", "user.note") == b"hello"
    assert os.getxattr(layer / "f", "trusted.mark") == b"1"


def test_symlinks_keep_their_target_verbatim(store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("sh", tarfile.SYMTYPE, linkname="/bin/busybox", uid=3, gid=4)))
    assert os.readlink(layer / "sh") == "/bin/busybox"
    assert os.lstat(layer / "sh").st_uid == 3


def test_hardlinks_share_one_inode(store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("a", data=b"same"), entry("b", tarfile.LNKTYPE, linkname="a")))
    assert os.lstat(layer / "a").st_ino == os.lstat(layer / "b").st_ino


def test_hardlink_to_a_lower_layer_file_copies_it_up(store: ImageStore, tmp_path: Path) -> None:
    upper, lower = pull(store, tmp_path, make_tar(entry("a", data=b"lower", mode=0o600)),
                        make_tar(entry("b", tarfile.LNKTYPE, linkname="a")))
    assert (upper / "b").read_bytes() == b"lower"
    assert os.lstat(upper / "a").st_ino == os.lstat(upper / "b").st_ino
    assert os.lstat(upper / "a").st_ino != os.lstat(lower / "a").st_ino


def test_device_nodes_and_fifos_are_created(store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
        entry("loop", tarfile.BLKTYPE, mode=0o660, devmajor=7, devminor=0),
        entry("pipe", tarfile.FIFOTYPE, mode=0o600)))
    null = os.lstat(layer / "null")
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1
    assert stat.S_IMODE(null.st_mode) == 0o666
    assert stat.S_ISBLK(os.lstat(layer / "loop").st_mode)
    assert stat.S_ISFIFO(os.lstat(layer / "pipe").st_mode)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_each_layer_compression_unpacks(store: ImageStore, tmp_path: Path,
                                        compression: str) -> None:
    [layer] = pull(store, tmp_path, make_tar(entry("f", data=b"payload")),
                   compression=compression)
    assert (layer / "f").read_bytes() == b"payload"


def test_whiteout_becomes_an_overlay_whiteout_device(store: ImageStore, tmp_path: Path) -> None:
    upper, _ = pull(store, tmp_path, make_tar(entry("a/gone", data=b"x")),
                    make_tar(entry("a/.wh.gone")))
    st = os.lstat(upper / "a" / "gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0)
    assert not (upper / "a" / ".wh.gone").exists()


def test_opaque_whiteout_sets_the_overlay_opaque_xattr(store: ImageStore,
                                                       tmp_path: Path) -> None:
    upper, _ = pull(store, tmp_path, make_tar(entry("d/old", data=b"x")),
                    make_tar(entry("d/.wh..wh..opq"), entry("d/new", data=b"y")))
    assert os.getxattr(upper / "d", "trusted.overlay.opaque") == b"y"
    assert not (upper / "d" / ".wh..wh..opq").exists()


def test_whiteouts_hide_lower_files_in_the_mounted_overlay(
        store: ImageStore, tmp_path: Path, overlay: Path) -> None:
    layers = pull(
        store, tmp_path,
        make_tar(entry("a/keep", data=b"k"), entry("a/gone", data=b"g"),
                 entry("b/old", data=b"o"), entry("c/x", data=b"x")),
        make_tar(entry("a/.wh.gone"), entry("b/.wh..wh..opq"), entry("b/new", data=b"n"),
                 entry(".wh.c")))
    lowerdir = ":".join(str(p) for p in layers)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lowerdir}",
                    str(overlay)], check=True)
    assert sorted(os.listdir(overlay / "a")) == ["keep"]
    assert sorted(os.listdir(overlay / "b")) == ["new"]
    assert not (overlay / "c").exists()


def test_parent_missing_from_the_tarball_keeps_the_lower_layers_owner_and_mode(
        store: ImageStore, tmp_path: Path) -> None:
    upper, _ = pull(store, tmp_path,
                    make_tar(entry("home", tarfile.DIRTYPE, mode=0o755),
                             entry("home/ann", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1000),
                             entry("home/ann/old", data=b"x")),
                    make_tar(entry("home/ann/.wh.old"), entry("home/ann/new", data=b"y")))
    ann = os.lstat(upper / "home" / "ann")
    assert (stat.S_IMODE(ann.st_mode), ann.st_uid, ann.st_gid) == (0o700, 1000, 1000)


def test_directory_replaced_by_a_later_entry_does_not_break_the_unpack(
        store: ImageStore, tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("d", tarfile.DIRTYPE, mode=0o755), entry("d/f", data=b"x"),
        entry("d", tarfile.SYMTYPE, linkname="/elsewhere")))
    assert os.readlink(layer / "d") == "/elsewhere"


def test_later_entries_replace_earlier_ones_at_the_same_path(store: ImageStore,
                                                             tmp_path: Path) -> None:
    [layer] = pull(store, tmp_path, make_tar(
        entry("a", data=b"file first"), entry("a", tarfile.DIRTYPE, mode=0o755),
        entry("a/inner", data=b"x"),
        entry("b", data=b"old"), entry("b", data=b"new"),
        entry("c", data=b"x"), entry("c", tarfile.SYMTYPE, linkname="b")))
    assert (layer / "a").is_dir() and (layer / "a" / "inner").read_bytes() == b"x"
    assert (layer / "b").read_bytes() == b"new"
    assert os.readlink(layer / "c") == "b"


def test_many_small_files_all_land_with_their_attributes(store: ImageStore,
                                                         tmp_path: Path) -> None:
    files = [entry(f"d{i % 7}/f{i}", data=str(i).encode() * 100, mode=0o640, uid=i, gid=i + 1)
             for i in range(600)]
    dirs = [entry(f"d{i}", tarfile.DIRTYPE, mode=0o755) for i in range(7)]
    [layer] = pull(store, tmp_path, make_tar(*dirs, *files))
    for i in range(600):
        st = os.lstat(layer / f"d{i % 7}" / f"f{i}")
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_size) == (
            i, i + 1, 0o640, len(str(i)) * 100)


def test_nanosecond_mtimes_are_kept_exactly(store: ImageStore, tmp_path: Path) -> None:
    info, data = entry("f", data=b"x")
    info.pax_headers = {"mtime": "1795946824.357685756"}
    [layer] = pull(store, tmp_path, make_tar((info, data)))
    assert os.lstat(layer / "f").st_mtime_ns == 1_795_946_824_357_685_756
