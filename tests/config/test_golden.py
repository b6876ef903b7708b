"""Golden tests: each folder under golden/ is a project; running `richcompose ARGS` in it must
print exactly expected.out (stdout) and expected.err (stderr) and exit with expected.rc.

A case folder holds the project files, optionally `args` (the command line, shell words;
default `config`) and `env` (KEY=value lines: the whole environment the command sees).
Absolute paths of the case folder print as `<case>`. `GOLDEN_UPDATE=1 pytest` rewrites the
expected files; review the diff before committing.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from richcompose.cli import main

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
UPDATE = bool(os.environ.get("GOLDEN_UPDATE"))  # read before a test replaces the environment


def _read(path: Path, default: str = "") -> str:
    return path.read_text() if path.exists() else default


def run_case(case: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[str, str, int]:
    args = shlex.split(_read(case / "args", "config"))
    environ = {"PATH": os.environ.get("PATH", "")}
    for line in _read(case / "env").splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            environ[key] = value
    monkeypatch.setattr(os, "environ", environ)
    monkeypatch.chdir(case)
    rc = main(args)
    out, err = capsys.readouterr()
    real = str(case.resolve())
    return out.replace(real, "<case>"), err.replace(real, "<case>"), rc


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> None:
    case = GOLDEN / name
    out, err, rc = run_case(case, monkeypatch, capsys)
    if UPDATE:
        (case / "expected.out").write_text(out)
        (case / "expected.err").write_text(err)
        (case / "expected.rc").write_text(f"{rc}\n")
    assert (out, err, rc) == (_read(case / "expected.out"), _read(case / "expected.err"),
                              int(_read(case / "expected.rc", "0")))
