"""Reading container logs: conmon's k8s-file format (`TIME STREAM F|P TEXT`), one file per
container, merged and prefixed by service for `logs` and foreground `up`."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LogLine:
    time: str
    stream: str  # stdout or stderr
    text: str

    @property
    def epoch(self) -> float:
        return rfc3339_epoch(self.time)


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
_SINCE = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h)$")


def rfc3339_epoch(text: str) -> float:
    """conmon writes nanoseconds, which datetime cannot parse: cut to microseconds."""
    from datetime import datetime

    match = _RFC3339.match(text)
    if match is None:
        return 0.0
    base, fraction, zone = match.groups()
    stamp = datetime.fromisoformat(base + (fraction or "")[:7] + (zone or "+00:00").replace("Z", "+00:00"))
    return stamp.timestamp()


def parse_since(text: str, now: float) -> float:
    """`--since`: an RFC 3339 time, a Unix time, or a duration back from now (10m, 1h, 30s)."""
    match = _SINCE.match(text)
    if match:
        return now - float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    epoch = rfc3339_epoch(text)
    if epoch:
        return epoch
    from richcompose.errors import UsageError
    raise UsageError(f"--since {text!r} is neither a time nor a duration",
                     hint="e.g. --since 10m or --since 2024-01-02T15:04:05Z")


def parse_line(raw: str) -> LogLine | None:
    parts = raw.rstrip("\n").split(" ", 3)
    if len(parts) < 3:
        return None
    text = parts[3] if len(parts) == 4 else ""
    return LogLine(time=parts[0], stream=parts[1], text=text)


def read_lines(path: Path) -> Iterator[LogLine]:
    """Whole lines; conmon splits long lines into partial (P) records, joined back here."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        yield from _joined(handle)


def _joined(raws: Iterable[str]) -> Iterator[LogLine]:
    pending = ""
    for raw in raws:
        line = parse_line(raw)
        if line is None:
            continue
        if _tag(raw) == "P":
            pending += line.text
            continue
        yield LogLine(line.time, line.stream, pending + line.text)
        pending = ""


def _tag(raw: str) -> str:
    parts = raw.split(" ", 3)
    return parts[2] if len(parts) >= 3 else "F"


_BLOCK = 64 << 10
_MAX_RECORD = 1 << 20  # conmon cuts records at 8 KiB; a longer "line" is not one of its records


def read_last_lines(path: Path, count: int) -> list[LogLine]:
    """The last `count` whole lines, reading the file backwards in blocks: the cost is that of
    the tail, not of the file (`logs --tail 2` of a 457 MB log read it all before)."""
    if count <= 0 or not path.exists():
        return []
    with open(path, "rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        blocks: list[bytes] = []
        newlines, wanted, unbroken = 0, count + 1, 0
        while True:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            block = handle.read(step)
            blocks.append(block)
            newlines += block.count(b"\n")
            unbroken = unbroken + len(block) if b"\n" not in block else block.index(b"\n")
            if unbroken > _MAX_RECORD:
                position = 0  # what lies before is no log record: start after it
            if position and newlines < wanted:
                continue
            raws = b"".join(reversed(blocks)).split(b"\n")[:-1]
            complete = raws[1:] if position or unbroken > _MAX_RECORD else raws
            finished = [i for i, raw in enumerate(complete) if raw.split(b" ", 3)[2:3] != [b"P"]]
            if not position or len(finished) > count:
                break
            wanted *= 2  # partial records took some newlines: read on, twice as far
    start = finished[-count - 1] + 1 if len(finished) > count else 0
    return list(_joined(raw.decode("utf-8", "replace") for raw in complete[start:]))[-count:]


def tail(lines: list[LogLine], count: int | None) -> list[LogLine]:
    return lines if count is None or count < 0 else lines[-count:] if count else []


def follow(paths: Mapping[str, Path], emit: Callable[[str, LogLine], None],
           keep_going: Callable[[], bool], *, from_start: bool = True,
           poll: float = 0.1) -> None:
    """Streams new lines of every file to `emit(service, line)` until `keep_going()` is False."""
    offsets: dict[str, int] = {}
    buffers: dict[str, str] = {}
    for name, path in paths.items():
        offsets[name] = 0 if from_start or not path.exists() else path.stat().st_size
        buffers[name] = ""
    while True:
        progressed = False
        for name, path in paths.items():
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[name]:
                offsets[name] = 0  # rotated or truncated
            if size == offsets[name]:
                continue
            with open(path, "rb") as handle:
                handle.seek(offsets[name])
                chunk = handle.read(size - offsets[name])
            offsets[name] = size
            progressed = True
            data = buffers[name] + chunk.decode("utf-8", errors="replace")
            *complete, buffers[name] = data.split("\n")
            for raw in complete:
                line = parse_line(raw)
                if line is not None:
                    emit(name, line)
        if not progressed:
            if not keep_going():
                return
            time.sleep(poll)
