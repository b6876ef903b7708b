"""Logs are capped by default, and `logs --tail N` reads the log from the end: same lines as
reading it all, at the cost of the tail (#10 item 9; the speed is measured by
bench/logs_tail.py)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from richcompose import logs
from richcompose.config import LoadOptions, load_project
from richcompose.config.models import Service
from richcompose.engine.core import _log_size_max
from richcompose.logs import read_last_lines, read_lines, tail

STAMP = "2026-01-01T00:00:00.000000000Z"


def record(text: str, partial: bool = False, stream: str = "stdout") -> str:
    return f"{STAMP} {stream} {'P' if partial else 'F'} {text}\n"


records = st.lists(st.tuples(st.text(alphabet="ab \\[:é", max_size=30), st.booleans()),
                   max_size=40)


@settings(max_examples=200, deadline=None)
@given(records, st.integers(min_value=0, max_value=45), st.sampled_from([7, 64, 1 << 16]))
def test_tail_from_the_end_equals_tail_of_everything(
        items: list[tuple[str, bool]], count: int, block: int) -> None:
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ctr.log"
        path.write_text("".join(record(text, partial) for text, partial in items))
        old = logs._BLOCK
        logs._BLOCK = block
        try:
            assert read_last_lines(path, count) == tail(list(read_lines(path)), count)
        finally:
            logs._BLOCK = old


def test_tail_of_a_huge_log_reads_only_its_end(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    with open(path, "wb") as handle:
        handle.write(record("first").encode())
        handle.truncate(8 << 30)  # an 8 GiB hole: reading it all would take minutes and RAM
        handle.seek(0, 2)
        handle.write(b"\n" + record("one").encode() + record("two").encode())
    assert [line.text for line in read_last_lines(path, 2)] == ["one", "two"]


def service_with(tmp_path: Path, body: str) -> Service:
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: busybox\n" + body)
    project = load_project(LoadOptions(files=(tmp_path / "compose.yaml",), environ={},
                                       working_dir=tmp_path))
    return project.services["app"]


def test_logs_are_capped_at_10_mib_by_default(tmp_path: Path) -> None:
    assert _log_size_max(service_with(tmp_path, "")) == 10 << 20


def test_logging_max_size_sets_the_cap_and_minus_one_lifts_it(tmp_path: Path) -> None:
    assert _log_size_max(service_with(tmp_path, "    logging: {options: {max-size: 2m}}\n")) \
        == 2 << 20
    assert _log_size_max(service_with(tmp_path, "    logging: {options: {max-size: '-1'}}\n")) \
        == 0
