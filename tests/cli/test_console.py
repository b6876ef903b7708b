"""User text reaches the terminal literally: no markup, no emoji codes, and escaping costs
nothing (#10 item 9; the speed is measured by bench/console_escape.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(list(args))
    return capsys.readouterr().err


def test_error_quoting_20000_backslashes_is_printed_exactly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    value = "\\" * 20000 + "[bold]x"
    path = tmp_path / "compose.yaml"
    path.write_text(f"services:\n  a:\n    image: busybox\n    ports: ['{value}']\n")
    err = run(capsys, "-f", str(path), "config")
    assert value in err


def test_emoji_codes_in_a_file_name_are_printed_literally(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ":smile:[red]"
    folder.mkdir()
    (folder / "compose.yaml").write_text("services:\n  a:\n    image: busybox\n    bad: 1\n")
    err = run(capsys, "-f", str(folder / "compose.yaml"), "config")
    assert f"error: {folder}/compose.yaml:4:5: unknown key 'bad'" in err


def test_config_output_keeps_emoji_codes_and_brackets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a:\n    image: busybox\n    labels: {note: ':smile:[b]x[/b]'}\n")
    main(["-f", str(path), "config"])
    assert ":smile:[b]x[/b]" in capsys.readouterr().out
