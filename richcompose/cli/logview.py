"""Prefixed, coloured log lines, as docker compose prints them."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from richcompose.logs import LogLine

COLOURS = ("cyan", "yellow", "green", "magenta", "blue", "bright_red", "bright_cyan")


class LogPrinter:
    def __init__(self, out: Console, services: Sequence[str], *, prefix: bool = True,
                 timestamps: bool = False) -> None:
        self.out = out
        self.width = max((len(s) for s in services), default=0)
        self.colours = {s: COLOURS[i % len(COLOURS)] for i, s in enumerate(sorted(services))}
        self.prefix = prefix
        self.timestamps = timestamps
        self._lock = threading.Lock()

    def emit(self, service: str, line: LogLine) -> None:
        out = Text()
        if self.prefix:
            out.append(f"{service.ljust(self.width)} |", style=self.colours.get(service, "white"))
            out.append(" ")
        if self.timestamps:
            out.append(f"{line.time} ")
        out.append(line.text)
        with self._lock:
            self.out.print(out, markup=False, highlight=False, emoji=False)
