"""The CLI's consoles. User text (file names, values, container output) is printed literally:
the consoles read no markup and substitute no emoji, and styles come only from `Text` spans.

Why not `rich.markup.escape`: it is quadratic in runs of backslashes (20,000 took seconds),
and escaping misses emoji codes (`:smile:` in a path became 😄).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# What a terminal would act on (cursor moves, bells, escapes); rich's Text drops most of these.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_WRITE = threading.Lock()


def make_console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def labelled(label: str, style: str, text: str) -> Text:
    """`label` in `style`, then `text` exactly as given."""
    from rich.text import Text

    return Text.assemble((label, style), " ", text)


def stderr_is_terminal(environ: Mapping[str, str]) -> bool:
    """Whether stderr gets a terminal's output: rich's own answer (TTY_COMPATIBLE=1/0, then
    FORCE_COLOR, then isatty), found without importing rich."""
    return _is_terminal(sys.stderr, environ)


def stdout_is_terminal(environ: Mapping[str, str]) -> bool:
    return _is_terminal(sys.stdout, environ)


def _is_terminal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    switch = environ.get("TTY_COMPATIBLE", "")
    if switch in ("0", "1"):
        return switch == "1"
    if environ.get("FORCE_COLOR") is not None:
        return environ["FORCE_COLOR"] != ""
    return stream.isatty()


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table as rich prints one with `box=None` (each cell padded by one space on either
    side, columns as wide as their widest cell), without wrapping: for a pipe or a file, where
    `ps` must not pay for importing rich. Control characters are dropped, as rich drops them."""
    cells = [[_CONTROLS.sub("", c) for c in row] for row in (headers, *rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("".join(f" {c.ljust(w)} " for c, w in zip(row, widths, strict=True))
                     for row in cells)


def plain_line(label: str, text: str) -> None:
    """One progress line on a stderr that is no terminal (a pipe, a log file): the words a
    console would print there, without its styles, and without importing rich (~50 ms of
    every `up` and `down`). Control characters are dropped, as the terminal path drops them."""
    line = _CONTROLS.sub("", f"{label} {text}" if label else text)
    with _WRITE:  # whole lines, whichever worker thread reports
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
