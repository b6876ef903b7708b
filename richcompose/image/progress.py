"""Rich progress bars for pulls: one bar per layer, labelled as `docker pull` does."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from richcompose.image.types import LayerEvent

_LABELS = {"present": "Already exists", "downloading": "Downloading",
           "extracting": "Extracting", "done": "Pull complete"}


class PullProgress:
    """Use as a context manager and pass the instance as the store's `progress` callback.

    Nothing is drawn until a layer is pulled (`up` with every image present prints nothing).
    On a terminal the bars move; elsewhere (a pipe, a CI log) each layer gets one plain line
    when it is complete, as compose's `--progress plain`. `quiet` (--quiet) prints nothing.
    """

    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        self._quiet = quiet
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._lock = threading.Lock()  # layers are pulled in parallel
        self._started = False
        self._finished: set[tuple[str, str]] = set()
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
        self._plain = not self._progress.console.is_terminal

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
        key = (event.image, event.layer)
        label = _LABELS.get(event.phase, event.phase)
        finished = event.phase in ("present", "done")
        if self._plain:
            with self._lock:
                if not finished or key in self._finished:
                    return
                self._finished.add(key)
            self._progress.console.print(f"{event.image} {_short(event.layer)} {label}",
                                         markup=False, highlight=False, soft_wrap=True)
            return
        with self._lock:
            if not self._started:
                self._progress.start()
                self._started = True
            task = self._tasks.get(key)
            if task is None:
                task = self._progress.add_task(label, total=event.total, image=event.image,
                                               layer=_short(event.layer))
                self._tasks[key] = task
        self._progress.update(task, description=label,
                              completed=event.total if finished and event.total else event.current,
                              total=event.total)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]  # as docker shows a layer
