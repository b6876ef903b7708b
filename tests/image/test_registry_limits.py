"""A hostile registry cannot make a pull hang or fill the disk: stalls are cut, redirect loops
and oversized manifests, configs and blobs end in one-line errors, and nothing partial stays
in ingest/ (#10 item 9, #15 item 4). The registry is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.content import ContentStore
from richcompose.image.limits import ImageLimits
from richcompose.image.reference import RegistryReference
from richcompose.image.registry import RegistryClient
from richcompose.image.store import ImageStore
from tests.image.hostile_registry import body, hostile_registry, redirect_to_itself, trickle
from tests.image.layouts import sha256

BLOB = b"x" * 5000
DIGEST = sha256(BLOB)
QUICK = ImageLimits(stall_seconds=1.0, stall_bytes=1024, retries=0)


def client(address: str, limits: ImageLimits = QUICK) -> RegistryClient:
    return RegistryClient(RegistryReference(address, "r", "t"), limits=limits)


def download(tmp_path: Path, address: str, size: int | None,
             limits: ImageLimits = QUICK) -> Path:
    content = ContentStore(tmp_path / "store")
    with client(address, limits) as c, content.writer(
            DIGEST, size, limits.layer_compressed_bytes) as writer:
        c.copy_blob(DIGEST, writer)
        return writer.commit()


def ingest(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "store" / "ingest").iterdir())


def test_blob_trickled_a_byte_every_2_s_is_cut(tmp_path: Path) -> None:
    with hostile_registry({f"/v2/r/blobs/{DIGEST}": trickle(BLOB, 2.0)}) as address, \
            pytest.raises(ImageError, match="transfer stalled"):
        download(tmp_path, address, len(BLOB))


def test_manifest_whose_headers_trickle_is_cut(tmp_path: Path) -> None:
    with hostile_registry({"/v2/r/manifests/t": trickle(b"{}", 0.3, headers_too=True)}) as address, \
            client(address) as c, pytest.raises(ImageError, match="transfer stalled"):
        c.get_manifest("t")


def test_manifest_redirect_loop_is_a_one_line_error() -> None:
    with hostile_registry({"/v2/r/manifests/t": redirect_to_itself}) as address, \
            client(address) as c, pytest.raises(ImageError, match="redirects") as caught:
        c.get_manifest("t")
    assert "\n" not in str(caught.value)


def test_blob_redirect_loop_is_a_one_line_error(tmp_path: Path) -> None:
    with hostile_registry({f"/v2/r/blobs/{DIGEST}": redirect_to_itself}) as address, \
            pytest.raises(ImageError, match="cannot reach registry .*redirects"):
        download(tmp_path, address, len(BLOB))


def test_blob_longer_than_declared_stops_and_leaves_no_partial(tmp_path: Path) -> None:
    with hostile_registry({f"/v2/r/blobs/{DIGEST}": body(BLOB)}) as address, \
            pytest.raises(ImageError, match="larger than its descriptor's 100 bytes"):
        download(tmp_path, address, 100)
    assert ingest(tmp_path) == []


def test_blob_without_size_stops_at_the_cap_and_leaves_no_partial(tmp_path: Path) -> None:
    limits = ImageLimits(layer_compressed_bytes=1000, retries=0)
    with hostile_registry({f"/v2/r/blobs/{DIGEST}": body(BLOB, content_length=False)}
                          ) as address, pytest.raises(ImageError, match="no declared size"):
        download(tmp_path, address, None, limits)
    assert ingest(tmp_path) == []


def test_manifest_over_the_cap_is_refused() -> None:
    limits = ImageLimits(manifest_bytes=1000)
    with hostile_registry({"/v2/r/manifests/t": body(b" " * 5000)}) as address, \
            client(address, limits) as c, pytest.raises(ImageError, match="more than the 1000"):
        c.get_manifest("t")


def manifest(config_size: int | None, layer_size: int = 10) -> bytes:
    config: dict[str, object] = {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": DIGEST}
    if config_size is not None:
        config["size"] = config_size
    return json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": config, "layers": [{
                           "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": DIGEST, "size": layer_size}]}).encode()


@pytest.mark.parametrize(("config_size", "layer_size", "message"), [
    (5000, 10, "image config .* more than the 1000 allowed"),
    (None, 10, "image config .* larger than 1000 bytes"),
    (10, 1 << 40, "layer .* more than the 1048576 allowed"),
])
def test_pull_refuses_configs_and_layers_over_the_caps(
        tmp_path: Path, config_size: int | None, layer_size: int, message: str) -> None:
    limits = ImageLimits(config_bytes=1000, layer_compressed_bytes=1 << 20, retries=0)
    routes = {"/v2/r/manifests/t": body(manifest(config_size, layer_size)),
              f"/v2/r/blobs/{DIGEST}": body(BLOB)}
    with hostile_registry(routes) as address, pytest.raises(ImageError, match=message):
        ImageStore(tmp_path / "images", limits=limits).pull(f"{address}/r:t")
    assert list((tmp_path / "images" / "ingest").iterdir()) == []


def test_manifest_with_a_non_numeric_size_is_a_one_line_error(tmp_path: Path) -> None:
    doc = json.loads(manifest(10))
    doc["config"]["size"] = "ten"
    raw = json.dumps(doc).encode()
    with hostile_registry({"/v2/r/manifests/t": body(raw)}) as address, \
            pytest.raises(ImageError, match="invalid size 'ten'"):
        ImageStore(tmp_path / "images").pull(f"{address}/r:t")
