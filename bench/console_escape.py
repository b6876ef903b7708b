"""Printing an error that quotes 20,000 backslashes: the old way (rich.markup.escape, then
markup parsing) against the CLI's literal Text printing. Prints both times and the ratio."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402

from richcompose.cli.console import labelled, make_console  # noqa: E402

MESSAGE = "compose.yaml:4:12: invalid port " + "\\" * 20000


def old() -> float:
    console = Console(file=io.StringIO(), highlight=False)
    start = time.perf_counter()
    console.print(f"[bold red]error:[/] {escape(MESSAGE)}", markup=True, soft_wrap=True)
    return time.perf_counter() - start


def new() -> float:
    console = make_console()
    console.file = io.StringIO()
    start = time.perf_counter()
    console.print(labelled("error:", "bold red", MESSAGE))
    return time.perf_counter() - start


if __name__ == "__main__":
    before, after = old(), new()
    print(f"escape+markup: {before:.3f} s   literal Text: {after:.4f} s   "
          f"ratio {before / after:.0f}x")
