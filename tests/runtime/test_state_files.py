"""Events, supervision entries, inotify and log time parsing: the files the engine and the
monitor share."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from richcompose.errors import UsageError
from richcompose.logs import parse_since, rfc3339_epoch
from richcompose.runtime import supervised
from richcompose.runtime.events import append_event, read_events
from richcompose.runtime.health import HealthSpec
from richcompose.runtime.inotify import Inotify
from richcompose.runtime.supervised import Supervised
from richcompose.state import ProjectPaths


def test_events_are_appended_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    append_event(path, "start", "db", "p-db-1")
    append_event(path, "die", "db", "p-db-1", exitCode=3)
    events = list(read_events(path))
    assert [e["action"] for e in events] == ["start", "die"]
    assert events[1]["attributes"] == {"exitCode": 3}


def test_concurrent_appends_keep_every_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    threads = [threading.Thread(target=lambda: [append_event(path, "x", "s", "c" * 200)
                                                for _ in range(50)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(list(read_events(path))) == 200


def test_supervision_entry_round_trips(tmp_path: Path) -> None:
    paths = ProjectPaths(tmp_path)
    entry = Supervised(id="p-a-1", service="a", restart="on-failure:3",
                       health=HealthSpec(argv=("true",), interval=1))
    supervised.save(paths, entry)
    assert supervised.load(paths, "p-a-1") == entry
    assert supervised.load_all(paths) == {"p-a-1": entry}
    supervised.remove(paths, "p-a-1")
    assert supervised.load_all(paths) == {}
    assert supervised.load(paths, "p-a-1") == entry  # one record: it outlives the watch


def test_inotify_reports_a_file_written_in_a_watched_directory(tmp_path: Path) -> None:
    with Inotify([tmp_path]) as watch:
        timer = threading.Timer(0.05, (tmp_path / "exit").write_text, args=("0",))
        start = time.monotonic()
        timer.start()
        changed = watch.wait(5)
        assert tmp_path / "exit" in changed and time.monotonic() - start < 1


def test_inotify_wait_times_out_with_nothing_changed(tmp_path: Path) -> None:
    with Inotify([tmp_path]) as watch:
        assert watch.wait(0.01) == []


def test_conmon_nanosecond_timestamps_parse() -> None:
    assert rfc3339_epoch("1970-01-01T00:00:01.500000000+00:00") == 1.5


def test_since_takes_durations_and_times() -> None:
    assert parse_since("10m", 1000.0) == 400.0
    assert parse_since("1970-01-01T00:00:05Z", 0) == 5.0
    with pytest.raises(UsageError):
        parse_since("yesterday", 0)


def test_a_watched_container_whose_record_is_unreadable_is_dropped(tmp_path: Path) -> None:
    paths = ProjectPaths(tmp_path)
    supervised.save(paths, Supervised(id="p-a-1", service="a", restart="always"))
    supervised.record_path(paths, "p-a-1").write_bytes(b"\xff\xfe garbage")
    assert supervised.load_all(paths) == {}
    assert not supervised.is_watched(paths, "p-a-1")
