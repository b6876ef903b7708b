"""`config` prints a project that loads back to itself: its output is valid input, in YAML and
in JSON, for every golden case that loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from richcompose.config import LoadOptions, load_project
from richcompose.config.dump import dump_project
from richcompose.config.parse import parse_yaml
from richcompose.config.units import format_duration, parse_duration

GOLDEN = Path(__file__).parent / "golden"


def _printed_projects() -> list[Path]:
    cases = []
    for case in sorted(GOLDEN.iterdir()):
        args = (case / "args").read_text() if (case / "args").exists() else "config"
        if (case / "expected.rc").read_text().strip() == "0" and args.strip().endswith("config"):
            cases.append(case)
    return cases


@pytest.mark.parametrize("case", _printed_projects(), ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_config_output_loads_back_to_the_same_project(case: Path, fmt: str,
                                                      tmp_path: Path) -> None:
    printed = (case / "expected.out").read_text()
    again = tmp_path / f"compose.{fmt}"
    if fmt == "json":
        printed = json.dumps(parse_yaml(printed, "x")[0])
    again.write_text(printed)
    reloaded = load_project(LoadOptions(files=(again,), environ={}, working_dir=tmp_path))
    assert dump_project(reloaded) + "\n" == (case / "expected.out").read_text()


@given(st.integers(0, 10**8))
def test_durations_print_in_compose_notation_and_read_back(millis: int) -> None:
    assert parse_duration(format_duration(millis / 1000)) == pytest.approx(millis / 1000)
