"""Event-driven waits for bring-up and stop: one inotify watch on the project's exit and health
directories wakes every waiting task the moment conmon writes an exit code or the monitor
writes a probe result, so a dependent starts within milliseconds of the event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from richcompose.runtime.inotify import Inotify


class Notifier:
    def __init__(self, directories: list[Path]) -> None:
        self._watch = Inotify(directories)
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True, name="notifier")
        self._thread.start()

    def _pump(self) -> None:
        while not self._closed.is_set():
            if self._watch.wait(None):
                self.poke()

    def poke(self) -> None:
        """Wakes every waiter so it re-checks its condition (also for in-process events)."""
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def close(self) -> None:
        self._closed.set()
        self._watch.interrupt()
        self._thread.join()
        self._watch.close()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
