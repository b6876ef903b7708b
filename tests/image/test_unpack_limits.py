"""Numbers and sizes in layers and image configs are range-checked: each bad one is a
one-line ImageError naming the entry or field, never a traceback (#10 item 9, #15 item 4)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.limits import ImageLimits
from richcompose.image.manifest import image_config
from richcompose.image.unpack import unpack_layer
from tests.image.layouts import entry, make_tar

DEFAULTS = ImageLimits()


def unpack(tmp_path: Path, layer: bytes, limits: ImageLimits = DEFAULTS) -> None:
    dest = tmp_path / "snapshot"
    dest.mkdir(exist_ok=True)
    unpack_layer(io.BytesIO(layer), dest, name="evil", limits=limits)


def refusal(tmp_path: Path, layer: bytes, limits: ImageLimits = DEFAULTS) -> str:
    with pytest.raises(ImageError) as caught:
        unpack(tmp_path, layer, limits)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_uid_99999999999_is_refused(tmp_path: Path) -> None:
    text = refusal(tmp_path, make_tar(entry("f", data=b"x", uid=99999999999)))
    assert "entry 'f' has uid 99999999999, outside 0..4294967294" in text


def test_mtime_1e30_is_refused(tmp_path: Path) -> None:
    info, data = entry("f", data=b"x")
    info.mtime = 1e30  # type: ignore[assignment]
    assert "entry 'f' has the modification time 1e+30" in refusal(tmp_path, make_tar((info, data)))


def test_huge_device_numbers_are_refused(tmp_path: Path) -> None:
    info, _ = entry("d", tarfile.CHRTYPE, devmajor=1 << 40)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:  # base-256
        tar.addfile(info)
    text = refusal(tmp_path, out.getvalue())
    assert "device major" in text


def test_a_2000_level_deep_path_is_refused(tmp_path: Path) -> None:
    text = refusal(tmp_path, make_tar(entry("a/" * 1999 + "f", data=b"x")))
    assert "has a path of" in text or "directories deep" in text


def test_a_600_level_deep_path_under_path_max_is_refused_by_depth(tmp_path: Path) -> None:
    assert "is 601 directories deep (at most 512)" in refusal(
        tmp_path, make_tar(entry("a/" * 600 + "f", data=b"x")))


def test_layer_expanding_past_the_cap_is_refused(tmp_path: Path) -> None:
    zeros = gzip.compress(make_tar(entry("zeros", data=bytes(4 << 20))))
    assert len(zeros) < 16 << 10  # a 4 MiB file in a few KiB, as zip bombs do
    text = refusal(tmp_path, zeros, ImageLimits(layer_expanded_bytes=1 << 20))
    assert "expands to more than 1048576 bytes" in text
    assert not (tmp_path / "snapshot" / "zeros").exists()


def test_layer_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    layer = make_tar(*(entry(f"f{i}") for i in range(20)))
    assert "more than 10 entries" in refusal(tmp_path, layer, ImageLimits(layer_entries=10))


def config(**fields: object) -> bytes:
    return json.dumps({"config": fields, "rootfs": {"diff_ids": []}}).encode()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("Labels", ["a=b"], "Labels is a list, not an object"),
    ("ExposedPorts", ["80/tcp"], "ExposedPorts is a list, not an object"),
    ("Env", "PATH=/bin", None),
    ("Env", [{"a": 1}], "Env is not a list of strings"),
    ("User", {"name": "x"}, "User is a dict, not a string"),
    ("StopSignal", 15, "StopSignal is 15, not a string"),
])
def test_image_config_fields_of_the_wrong_shape_are_one_line_errors(
        field: str, value: object, message: str | None) -> None:
    if message is None:
        assert image_config(config(**{field: value})).env == [value]
        return
    with pytest.raises(ImageError, match=message):
        image_config(config(**{field: value}))


def test_image_config_label_values_that_are_not_strings_are_kept_as_json() -> None:
    assert image_config(config(Labels={"n": 1})).labels == {"n": "1"}


def test_layer_stream_longer_than_the_compressed_cap_is_refused(tmp_path: Path) -> None:
    layer = make_tar(entry("f", data=b"x" * 20_000))  # a local blob need not declare a size
    assert "layer is larger than 8192 bytes" in refusal(
        tmp_path, layer, ImageLimits(layer_compressed_bytes=8192))
