"""The store resolves local references (OCI layouts, archives, rootfs tarballs) into layers."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

import pytest
import zstandard

from richcompose.errors import ImageError
from richcompose.image.store import ImageStore
from richcompose.image.types import ImageConfig, LayerEvent
from tests.image.layouts import (
    OciImage,
    entry,
    make_tar,
    tar_of_dir,
    write_multiarch_layout,
)


def test_oci_layout_resolves_to_its_layers_topmost_first(store: ImageStore,
                                                         busybox_layout: Path) -> None:
    image = store.resolve(f"oci:{busybox_layout}:1")
    assert len(image.layers) == 2
    assert (image.layers[0] / "srv" / "app").read_bytes() == b"v1"
    assert (image.layers[1] / "bin" / "busybox").is_file()
    assert image.digest and image.digest.startswith("sha256:")


def test_image_config_becomes_service_defaults(store: ImageStore, busybox_layout: Path) -> None:
    config = store.resolve(f"oci:{busybox_layout}:1").config
    assert config == ImageConfig(
        entrypoint=["/bin/sh", "-c"], cmd=["echo hi"], env=["A=1"], working_dir="/srv",
        user="1000:1000", exposed_ports=["80/tcp"], stop_signal="SIGTERM",
        healthcheck={"Test": ["CMD", "true"], "Interval": 1_000_000_000},
        labels={"team": "db"})


def test_layout_with_one_image_needs_no_tag(store: ImageStore, busybox_layout: Path) -> None:
    assert store.resolve(f"oci:{busybox_layout}").layers


def test_unknown_tag_is_an_error_listing_the_tags(store: ImageStore,
                                                  busybox_layout: Path) -> None:
    with pytest.raises(ImageError, match="no image tagged 'nope'") as raised:
        store.resolve(f"oci:{busybox_layout}:nope")
    assert "1" in raised.value.hint


def test_second_resolve_unpacks_nothing(store: ImageStore, busybox_layout: Path) -> None:
    first = store.resolve(f"oci:{busybox_layout}:1")
    events: list[LayerEvent] = []
    second = store.resolve(f"oci:{busybox_layout}:1", progress=events.append)
    assert second.layers == first.layers
    assert [e.phase for e in events] == ["present", "present"]


def test_images_sharing_a_layer_share_its_snapshot(store: ImageStore, busybox_layout: Path,
                                                   docker_archive: Path) -> None:
    from_layout = store.resolve(f"oci:{busybox_layout}:1")
    from_archive = store.resolve(f"docker-archive:{docker_archive}")
    assert from_archive.layers == from_layout.layers
    assert len(os.listdir(store.root / "snapshots")) == 2


def test_docker_archive_resolves(store: ImageStore, docker_archive: Path) -> None:
    image = store.resolve(f"docker-archive:{docker_archive}")
    assert (image.layers[0] / "srv" / "app").read_bytes() == b"v1"
    assert image.config.entrypoint == ["/bin/sh", "-c"]


def test_docker_archive_image_is_picked_by_name(store: ImageStore, docker_archive: Path) -> None:
    assert store.resolve(f"docker-archive:{docker_archive}:busybox:1").layers
    with pytest.raises(ImageError, match="no image named"):
        store.resolve(f"docker-archive:{docker_archive}:other:2")


def test_oci_archive_resolves(store: ImageStore, busybox_layout: Path, tmp_path: Path) -> None:
    archive = tmp_path / "busybox-oci.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(busybox_layout, arcname=".")
    image = store.resolve(f"oci-archive:{archive}:1")
    assert (image.layers[1] / "bin" / "busybox").is_file()


def test_multiarch_index_resolves_to_this_platform(store: ImageStore, tmp_path: Path) -> None:
    write_multiarch_layout(tmp_path / "multi", "m", {
        "arm64": OciImage([make_tar(entry("arch", data=b"arm64"))]),
        "amd64": OciImage([make_tar(entry("arch", data=b"amd64"))]),
    })
    image = store.resolve(f"oci:{tmp_path / 'multi'}:m")
    assert (image.layers[0] / "arch").read_bytes() == b"amd64"


def test_index_without_this_platform_is_an_error(store: ImageStore, tmp_path: Path) -> None:
    write_multiarch_layout(tmp_path / "multi", "m",
                           {"s390x": OciImage([make_tar(entry("arch", data=b"s390x"))])})
    with pytest.raises(ImageError, match="no image for linux/amd64") as raised:
        store.resolve(f"oci:{tmp_path / 'multi'}:m")
    assert "linux/s390x" in raised.value.hint


def test_pull_policy_never_refuses_a_missing_registry_image(store: ImageStore) -> None:
    with pytest.raises(ImageError, match="not in the store"):
        store.resolve("127.0.0.1:9/absent:1", pull="never")


def test_unknown_pull_policy_is_refused(store: ImageStore) -> None:
    with pytest.raises(ImageError, match="unknown pull policy"):
        store.resolve("busybox", pull="sometimes")


# -- rootfs: tarballs ----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tar.zst"])
def test_rootfs_tarball_is_unpacked_into_one_layer(store: ImageStore, busybox_rootfs: Path,
                                                   tmp_path: Path, suffix: str) -> None:
    data = tar_of_dir(busybox_rootfs)
    if suffix == ".tar.gz":
        data = gzip.compress(data, compresslevel=1)
    elif suffix == ".tar.zst":
        data = zstandard.ZstdCompressor().compress(data)
    tarball = tmp_path / f"vm{suffix}"
    tarball.write_bytes(data)
    image = store.resolve_rootfs(tarball)
    [layer] = image.layers
    assert (layer / "bin" / "busybox").is_file()
    assert os.readlink(layer / "bin" / "sh") == "/bin/busybox"
    assert image.reference == f"rootfs:{tarball}"


def test_rootfs_tarball_is_unpacked_only_once(store: ImageStore, tmp_path: Path) -> None:
    tarball = tmp_path / "vm.tar"
    tarball.write_bytes(make_tar(entry("etc/hostname", data=b"old-vm")))
    events: list[LayerEvent] = []
    first = store.resolve_rootfs(tarball)
    second = store.resolve_rootfs(tarball, progress=events.append)
    assert first.layers == second.layers
    assert [e.phase for e in events] == ["present"]


def test_rootfs_tarball_keeps_files_named_like_whiteouts(store: ImageStore,
                                                         tmp_path: Path) -> None:
    tarball = tmp_path / "vm.tar"
    tarball.write_bytes(make_tar(entry("home/.wh.notes", data=b"mine")))
    [layer] = store.resolve_rootfs(tarball).layers
    assert (layer / "home" / ".wh.notes").read_bytes() == b"mine"


def test_rootfs_directory_is_used_as_is(store: ImageStore, busybox_rootfs: Path) -> None:
    assert store.resolve_rootfs(busybox_rootfs).layers == (busybox_rootfs.resolve(),)


def test_rootfs_that_is_neither_dir_nor_tarball_is_an_error(store: ImageStore,
                                                            tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ImageError, match="neither a directory nor a tarball"):
        store.resolve_rootfs(tmp_path / "notes.txt")


# -- images, rmi, image prune --------------------------------------------------------------------

def test_images_lists_reference_digest_and_size(store: ImageStore, busybox_layout: Path) -> None:
    image = store.resolve(f"oci:{busybox_layout}:1")
    [summary] = store.list_images()
    assert summary.reference == f"oci:{busybox_layout}:1"
    assert summary.digest == image.digest
    assert summary.size > 1_000_000  # busybox itself


def test_remove_deletes_blobs_and_snapshots_no_image_needs(
        store: ImageStore, busybox_layout: Path, docker_archive: Path) -> None:
    store.resolve(f"oci:{busybox_layout}:1")
    store.resolve(f"docker-archive:{docker_archive}")
    store.remove(f"oci:{busybox_layout}:1")
    assert len(os.listdir(store.root / "snapshots")) == 2  # still used by the archive's image
    store.remove(f"docker-archive:{docker_archive}")
    assert store.list_images() == []
    assert os.listdir(store.root / "snapshots") == []
    assert os.listdir(store.root / "blobs" / "sha256") == []


def test_remove_refuses_an_image_in_use(store: ImageStore, busybox_layout: Path) -> None:
    image = store.resolve(f"oci:{busybox_layout}:1")
    with pytest.raises(ImageError, match="used by a container"):
        store.remove(f"oci:{busybox_layout}:1", in_use={image.reference})
    assert len(store.list_images()) == 1


def test_remove_of_an_unknown_image_is_an_error(store: ImageStore) -> None:
    with pytest.raises(ImageError, match="no such image"):
        store.remove("busybox")


def test_prune_keeps_images_in_use_and_removes_the_rest(
        store: ImageStore, busybox_layout: Path, tmp_path: Path) -> None:
    kept = store.resolve(f"oci:{busybox_layout}:1")
    tarball = tmp_path / "vm.tar"
    tarball.write_bytes(make_tar(entry("etc/hostname", data=b"vm")))
    gone = store.resolve_rootfs(tarball)
    removed = store.prune(in_use={kept.reference})
    assert [r.reference for r in removed] == [gone.reference]
    assert [i.reference for i in store.list_images()] == [kept.reference]
    assert not gone.layers[0].exists()
    assert all(layer.exists() for layer in kept.layers)
