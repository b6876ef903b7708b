"""Pulls through a real registry (Debian's docker-registry) listening on 127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from richcompose.errors import ImageError
from richcompose.image.store import ImageStore
from richcompose.image.types import LayerEvent
from tests.image.layouts import (
    OciImage,
    entry,
    make_tar,
    push,
    write_multiarch_layout,
)

pytestmark = pytest.mark.registry


def phases(events: list[LayerEvent]) -> set[str]:
    return {e.phase for e in events}


def test_pull_from_a_registry_unpacks_every_layer(store: ImageStore, busybox_image: str) -> None:
    events: list[LayerEvent] = []
    image = store.pull(busybox_image, progress=events.append)
    assert (image.layers[0] / "srv" / "app").read_bytes() == b"v1"
    assert (image.layers[1] / "bin" / "busybox").is_file()
    assert image.config.cmd == ["sh"]
    assert {"downloading", "extracting", "done"} <= phases(events)
    assert [i.reference for i in store.list_images()] == [busybox_image]


def test_second_pull_downloads_nothing(store: ImageStore, busybox_image: str) -> None:
    store.pull(busybox_image)
    blobs = {p.name: p.stat().st_mtime_ns for p in (store.root / "blobs" / "sha256").iterdir()}
    events: list[LayerEvent] = []
    store.pull(busybox_image, progress=events.append)
    assert phases(events) == {"present"}
    assert {p.name: p.stat().st_mtime_ns
            for p in (store.root / "blobs" / "sha256").iterdir()} == blobs


def test_pull_policy_missing_does_not_contact_the_registry_for_a_stored_image(
        store: ImageStore, busybox_image: str) -> None:
    first = store.resolve(busybox_image, pull="missing")

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.url}")

    offline = ImageStore(store.root, transport=httpx.MockTransport(no_network), env={})
    assert offline.resolve(busybox_image, pull="missing").layers == first.layers
    assert offline.resolve(busybox_image, pull="never").layers == first.layers


def test_pull_by_digest(store: ImageStore, busybox_image: str) -> None:
    digest = store.pull(busybox_image).digest
    name = busybox_image.rsplit(":", 1)[0]
    assert store.pull(f"{name}@{digest}").digest == digest


def test_partial_blob_left_by_an_interrupted_pull_is_resumed(
        tmp_path: Path, busybox_image: str) -> None:
    reference = ImageStore(tmp_path / "reference", env={})
    reference.pull(busybox_image)
    biggest = max((reference.root / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    store = ImageStore(tmp_path / "images", env={})
    (store.root / "ingest" / f"{biggest.name}.partial").write_bytes(
        biggest.read_bytes()[: biggest.stat().st_size // 2])
    image = store.pull(busybox_image)
    assert (image.layers[1] / "bin" / "busybox").is_file()
    assert list((store.root / "ingest").iterdir()) == []


def test_multiarch_image_pulls_this_platform(store: ImageStore, registry: str,
                                             tmp_path: Path) -> None:
    write_multiarch_layout(tmp_path / "multi", "m", {
        "arm64": OciImage([make_tar(entry("arch", data=b"arm64"))]),
        "amd64": OciImage([make_tar(entry("arch", data=b"amd64"))]),
    })
    push(tmp_path / "multi", "m", f"{registry}/multi:m", all_images=True)
    image = store.pull(f"{registry}/multi:m")
    assert (image.layers[0] / "arch").read_bytes() == b"amd64"


def test_unknown_image_is_a_not_found_error(store: ImageStore, registry: str) -> None:
    with pytest.raises(ImageError, match="not found"):
        store.pull(f"{registry}/nothing/here:1")


def test_concurrent_pulls_of_one_image_share_the_work(tmp_path: Path, busybox_image: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def pull() -> tuple[Path, ...]:
        return ImageStore(tmp_path / "images", env={}).pull(busybox_image).layers

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: pull(), range(3)))
    assert results[0] == results[1] == results[2]
    store = ImageStore(tmp_path / "images", env={})
    assert len(list((store.root / "snapshots").iterdir())) == 2
    assert list((store.root / "ingest").iterdir()) == []
    assert list((store.root / "tmp").iterdir()) == []
