"""Builder output as docker compose shows it: `--progress plain` prefixes every line with the
service (coloured like logs), `tty` keeps one live line per service with its current step, and
`-q` shows nothing but errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from richcompose.cli.logview import COLOURS

PROGRESS_MODES = ("auto", "plain", "tty", "quiet")
_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: |^(?:building|built|base image) ")


class BuildOutput:
    """The builder's `output` callback (thread-safe); use as a context manager."""

    def __init__(self, console: Console, services: Sequence[str], mode: str = "auto") -> None:
        if mode == "auto":
            mode = "tty" if console.is_terminal else "plain"
        self.mode = mode
        self.console = console
        self.width = max((len(s) for s in services), default=0)
        self.colours = {s: COLOURS[i % len(COLOURS)] for i, s in enumerate(sorted(services))}
        self._current: dict[str, str] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> BuildOutput:
        if self.mode == "tty":
            self._live = Live(self._table(), console=self.console, transient=False,
                              auto_refresh=False)
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.update(self._table(), refresh=True)
            self._live.stop()

    def __call__(self, service: str, line: str) -> None:
        if self.mode == "quiet":
            return
        with self._lock:
            if self.mode == "tty" and self._live is not None:
                if _STEP.match(line):
                    self._current[service] = line
                    self._live.update(self._table(), refresh=True)
                return
            colour = self.colours.get(service, "white")
            self.console.print(Text.assemble((f"{service.ljust(self.width)} |", colour), " ", line),
                               highlight=False, soft_wrap=True)

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for service, line in sorted(self._current.items()):
            table.add_row(Text(service, style=self.colours.get(service, "white")), Text(line))
        return table
