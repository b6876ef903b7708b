"""Prefixed, coloured log lines, as docker compose prints them."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rich.console import Console

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
        head = ""
        if self.prefix:
            head = f"[{self.colours.get(service, 'white')}]{service.ljust(self.width)} |[/] "
        if self.timestamps:
            head += f"{line.time} "
        with self._lock:
            self.out.print(head, end="")
            self.out.print(line.text, markup=False, highlight=False)
