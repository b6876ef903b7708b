"""The CLI's consoles. User text (file names, values, container output) is printed literally:
the consoles read no markup and substitute no emoji, and styles come only from `Text` spans.

Why not `rich.markup.escape`: it is quadratic in runs of backslashes (20,000 took seconds),
and escaping misses emoji codes (`:smile:` in a path became 😄).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


def make_console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def labelled(label: str, style: str, text: str) -> Text:
    """`label` in `style`, then `text` exactly as given."""
    return Text.assemble((label, style), " ", text)
