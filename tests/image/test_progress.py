"""Pull progress is drawn as one rich bar per layer; --quiet draws nothing."""

from __future__ import annotations

import io

from rich.console import Console

from richcompose.image.progress import PullProgress
from richcompose.image.types import LayerEvent

LAYER = "sha256:" + "c" * 64


def draw(quiet: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)
    with PullProgress(console, quiet=quiet) as progress:
        progress(LayerEvent("busybox:1", LAYER, "downloading", 10, 100))
        progress(LayerEvent("busybox:1", LAYER, "done", 100, 100))
    return out.getvalue()


def test_each_layer_gets_a_labelled_bar() -> None:
    text = draw(quiet=False)
    assert "busybox:1" in text and "cccccccccccc" in text and "Pull complete" in text


def test_quiet_draws_nothing() -> None:
    assert draw(quiet=True) == ""


def test_elsewhere_than_a_terminal_each_layer_gets_one_plain_line() -> None:
    lines = draw(quiet=False).splitlines()
    assert lines == ["busybox:1 cccccccccccc Pull complete"]


def test_on_a_terminal_the_bars_are_redrawn() -> None:
    out = io.StringIO()
    with PullProgress(Console(file=out, force_terminal=True, width=120)) as progress:
        progress(LayerEvent("busybox:1", LAYER, "downloading", 10, 100))
        progress(LayerEvent("busybox:1", LAYER, "done", 100, 100))
    assert "Pull complete" in out.getvalue() and "\x1b[" in out.getvalue()


def test_nothing_is_drawn_when_nothing_is_pulled() -> None:
    out = io.StringIO()
    with PullProgress(Console(file=out, force_terminal=True, width=120)):
        pass
    assert out.getvalue() == ""
