"""A malicious layer is refused, naming the entry, and nothing outside its snapshot changes."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.store import ImageStore
from tests.image.layouts import OciImage, entry, make_tar, write_oci_layout


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory a malicious layer aims at; it must stay exactly as it is."""
    target = tmp_path / "outside"
    target.mkdir()
    (target / "secret").write_text("untouched")
    return target


def snapshot_of_outside(outside: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in outside.iterdir()}


def pull_layers(store: ImageStore, tmp_path: Path, *layers: bytes) -> None:
    write_oci_layout(tmp_path / "layout", {"evil": OciImage(list(layers))})
    store.resolve(f"oci:{tmp_path / 'layout'}:evil")


def escapes(outside: Path) -> dict[str, tuple[bytes, str]]:
    """Each escape kind: a layer tarball and the entry the error must name."""
    return {
        "absolute path": (make_tar(entry(f"{outside}/planted", data=b"x")), f"{outside}/planted"),
        "dot-dot": (make_tar(entry("../../../outside/planted", data=b"x")),
                    "../../../outside/planted"),
        "dot-dot inside a path": (make_tar(entry("a/../../planted", data=b"x")),
                                  "a/../../planted"),
        "symlink planted by an earlier entry (absolute)": (make_tar(
            entry("link", tarfile.SYMTYPE, linkname=str(outside)),
            entry("link/planted", data=b"x")), "link/planted"),
        "symlink planted by an earlier entry (relative)": (make_tar(
            entry("link", tarfile.SYMTYPE, linkname="../../../../../../../.."),
            entry(f"link{outside}/planted", data=b"x")), f"link{outside}/planted"),
        "symlink to a symlink": (make_tar(
            entry("a", tarfile.SYMTYPE, linkname=str(outside)),
            entry("b", tarfile.SYMTYPE, linkname="a"),
            entry("b/planted", data=b"x")), "b/planted"),
        "symlink replacing an earlier directory": (make_tar(
            entry("d", tarfile.DIRTYPE, mode=0o755), entry("d/ok", data=b"x"),
            entry("d", tarfile.SYMTYPE, linkname=str(outside)),
            entry("d/planted", data=b"x")), "d/planted"),
        "directory entry through a symlink": (make_tar(
            entry("link", tarfile.SYMTYPE, linkname=str(outside)),
            entry("link/newdir", tarfile.DIRTYPE, mode=0o755)), "link/newdir"),
        "hardlink with dot-dot": (make_tar(
            entry("h", tarfile.LNKTYPE, linkname="../../../outside/secret")), "h"),
        "hardlink to an absolute path": (make_tar(
            entry("h", tarfile.LNKTYPE, linkname=f"{outside}/secret")), "h"),
        "hardlink through a symlink": (make_tar(
            entry("link", tarfile.SYMTYPE, linkname=str(outside)),
            entry("h", tarfile.LNKTYPE, linkname="link/secret")), "h"),
        "whiteout of dot-dot": (make_tar(entry("dir/.wh...", data=b"")), "dir/.wh..."),
    }


@pytest.mark.parametrize("kind", list(escapes(Path("/x"))))
def test_escaping_layer_is_refused_and_nothing_outside_changes(
        kind: str, store: ImageStore, tmp_path: Path, outside: Path) -> None:
    layer, named = escapes(outside)[kind]
    before = snapshot_of_outside(outside)
    with pytest.raises(ImageError) as raised:
        pull_layers(store, tmp_path, layer)
    assert repr(named) in raised.value.message
    assert snapshot_of_outside(outside) == before
    assert not (tmp_path / "planted").exists()


@pytest.mark.parametrize("kind", list(escapes(Path("/x"))))
def test_refused_layer_leaves_no_snapshot_or_image_behind(
        kind: str, store: ImageStore, tmp_path: Path, outside: Path) -> None:
    with pytest.raises(ImageError):
        pull_layers(store, tmp_path, escapes(outside)[kind][0])
    assert os.listdir(store.root / "snapshots") == []
    assert os.listdir(store.root / "tmp") == []
    assert store.list_images() == []


def test_symlink_from_a_lower_layer_cannot_redirect_a_write(
        store: ImageStore, tmp_path: Path, outside: Path) -> None:
    lower = make_tar(entry("etc", tarfile.SYMTYPE, linkname=str(outside)))
    upper = make_tar(entry("etc/planted", data=b"x"))
    write_oci_layout(tmp_path / "layout", {"t": OciImage([lower, upper])})
    image = store.resolve(f"oci:{tmp_path / 'layout'}:t")
    assert not (outside / "planted").exists()
    top = image.layers[0]
    assert (top / "etc").is_dir() and not (top / "etc").is_symlink()
    assert (top / "etc" / "planted").read_bytes() == b"x"


def test_hardlink_through_a_lower_layer_symlink_is_refused(
        store: ImageStore, tmp_path: Path, outside: Path) -> None:
    lower = make_tar(entry("link", tarfile.SYMTYPE, linkname=str(outside)))
    upper = make_tar(entry("h", tarfile.LNKTYPE, linkname="link/secret"))
    with pytest.raises(ImageError, match="'h'"):
        pull_layers(store, tmp_path, lower, upper)
    assert snapshot_of_outside(outside) == {"secret": b"untouched"}


def test_regular_file_replaces_a_planted_symlink_instead_of_following_it(
        store: ImageStore, tmp_path: Path, outside: Path) -> None:
    layer = make_tar(entry("f", tarfile.SYMTYPE, linkname=f"{outside}/secret"),
                     entry("f", data=b"mine"))
    write_oci_layout(tmp_path / "layout", {"t": OciImage([layer])})
    image = store.resolve(f"oci:{tmp_path / 'layout'}:t")
    assert (outside / "secret").read_text() == "untouched"
    assert not (image.layers[0] / "f").is_symlink()
    assert (image.layers[0] / "f").read_bytes() == b"mine"


def test_forged_overlay_xattrs_in_a_layer_are_dropped(store: ImageStore, tmp_path: Path) -> None:
    layer = make_tar(entry("d", tarfile.DIRTYPE, mode=0o755,
                           xattrs={"trusted.overlay.opaque": "y"}))
    write_oci_layout(tmp_path / "layout", {"t": OciImage([layer])})
    image = store.resolve(f"oci:{tmp_path / 'layout'}:t")
    assert "trusted.overlay.opaque" not in os.listxattr(image.layers[0] / "d")


def test_layer_not_matching_its_digest_is_refused(store: ImageStore, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_oci_layout(layout, {"t": OciImage([make_tar(entry("f", data=b"good"))],
                                            compression="none")})
    blob = next(p for p in (layout / "blobs" / "sha256").iterdir()
                if p.read_bytes().startswith(b"f\0"))
    blob.write_bytes(make_tar(entry("f", data=b"evil")))
    with pytest.raises(ImageError, match="does not match its digest"):
        store.resolve(f"oci:{layout}:t")
    assert os.listdir(store.root / "snapshots") == []


def test_file_used_as_a_directory_is_refused(store: ImageStore, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="'a/b'"):
        pull_layers(store, tmp_path, make_tar(entry("a", data=b"x"), entry("a/b", data=b"y")))
    assert os.listdir(store.root / "tmp") == []
