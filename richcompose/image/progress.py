"""Pull progress as `docker pull` labels it: one rich bar per layer on a terminal
(`PullProgress`), one plain line per finished layer elsewhere (`PullLines`, without rich).

Both are context managers whose instance is the store's `progress` callback; nothing is printed
until a layer is pulled (`up` with every image present prints nothing)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from richcompose.image.types import LayerEvent

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

_LABELS = {"present": "Already exists", "downloading": "Downloading",
           "extracting": "Extracting", "done": "Pull complete"}
_FINISHED = ("present", "done")


class PullLines:
    """For a pipe or a CI log, as compose's `--progress plain`: `IMAGE LAYER Pull complete`
    once per layer, through `write` (one whole line per call)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()  # layers are pulled in parallel
        self._finished: set[tuple[str, str]] = set()

    def __enter__(self) -> PullLines:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def __call__(self, event: LayerEvent) -> None:
        key = (event.image, event.layer)
        with self._lock:
            if event.phase not in _FINISHED or key in self._finished:
                return
            self._finished.add(key)
        self._write(f"{event.image} {_short(event.layer)} {_LABELS[event.phase]}")


class PullProgress:
    """Moving bars on a terminal console; on another console, PullLines printed to it.
    `quiet` (the CLI's --quiet) prints nothing."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self._quiet = quiet
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._lock = threading.Lock()  # layers are pulled in parallel
        self._started = False
        self._progress = Progress(
            TextColumn("{task.fields[image]}", style="cyan", markup=False),
            TextColumn("{task.fields[layer]}", markup=False),
            TextColumn("{task.description:<14}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            disable=quiet,
        )
        shown = self._progress.console
        self._lines = None if shown.is_terminal else PullLines(
            lambda line: shown.print(line, markup=False, highlight=False, soft_wrap=True))

    def __enter__(self) -> PullProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            if self._started:
                self._progress.stop()

    def __call__(self, event: LayerEvent) -> None:
        if self._quiet:
            return
        if self._lines is not None:
            self._lines(event)
            return
        key = (event.image, event.layer)
        label = _LABELS.get(event.phase, event.phase)
        with self._lock:
            if not self._started:
                self._progress.start()
                self._started = True
            task = self._tasks.get(key)
            if task is None:
                task = self._progress.add_task(label, total=event.total, image=event.image,
                                               layer=_short(event.layer))
                self._tasks[key] = task
        finished = event.phase in _FINISHED
        self._progress.update(task, description=label,
                              completed=event.total if finished and event.total else event.current,
                              total=event.total)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]  # as docker shows a layer
