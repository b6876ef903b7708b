"""`images` shows reference, short digest, date and a docker-style size."""

from __future__ import annotations

import io

from rich.console import Console

from richcompose.image.types import ImageSummary
from richcompose.image.views import human_size, images_table


def test_sizes_print_in_decimal_units_like_docker() -> None:
    assert [human_size(n) for n in (0, 999, 4_260_000, 1_200_000_000, 12_345_000_000_000)] == [
        "0B", "999B", "4.26MB", "1.2GB", "12345GB"]


def test_images_table_lists_each_image() -> None:
    out = io.StringIO()
    Console(file=out, width=160).print(images_table([ImageSummary(
        "docker.io/library/busybox:1.36", "sha256:" + "ab" * 32, 4_260_000,
        "2026-11-29T10:00:00+00:00")]))
    text = out.getvalue()
    assert "docker.io/library/busybox:1.36" in text
    assert "abababababab" in text and "4.26MB" in text
