"""How `richcompose images`, `rmi` and `image prune` show stored images (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from richcompose.image.types import ImageSummary


def human_size(size: int) -> str:
    """Decimal units, as `docker images` prints them: 4.26MB, 1.2GB."""
    if size < 1000:
        return f"{size}B"
    value, unit = size / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.3g}{unit}" if value < 1000 else f"{value:.0f}{unit}"


def images_table(images: Sequence[ImageSummary]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("REFERENCE", "DIGEST", "CREATED", "SIZE"):
        table.add_column(column, no_wrap=True)
    for image in images:
        table.add_row(image.reference, image.digest.removeprefix("sha256:")[:12],
                      image.created, human_size(image.size))
    return table
