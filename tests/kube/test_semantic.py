"""richcompose's own checks for what the JSON schemas miss: one negative fixture per check
(fixtures/semantic/*.yaml, each saying what it expects), and the clean case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from richcompose.kube import semantic

FIXTURES = Path(__file__).parent / "fixtures" / "semantic"
CASES = sorted(p.stem for p in FIXTURES.glob("*.yaml"))


def _load(name: str) -> tuple[dict[str, list[dict[str, object]]], str]:
    text = (FIXTURES / f"{name}.yaml").read_text()
    expect = text.splitlines()[0].removeprefix("# expect: ")
    docs = [d for d in yaml.safe_load_all(text) if d]
    if name == "configmap-size":  # built here: a 1 MiB fixture file would be silly
        docs[0]["data"] = {"blob": "x" * (1024 * 1024)}
    return {f"{name}.yaml": docs}, expect


@pytest.mark.parametrize("case", CASES)
def test_semantic_check_reports_the_fixtures_problem(case: str) -> None:
    by_file, expect = _load(case)
    problems = semantic.check(by_file, (1, 32), {})
    assert any(expect in str(p) for p in problems), problems
    assert all(str(p).startswith(f"{case}.yaml: ") for p in problems)


def test_stop_signal_passes_with_version_and_gate() -> None:
    by_file, _ = _load("stop-signal-version")
    assert semantic.check(by_file, (1, 33), {"ContainerStopSignals": True}) == []


def test_a_clean_deployment_and_service_pass() -> None:
    by_file, _ = _load("service-selector")
    by_file["service-selector.yaml"][1]["spec"]["selector"] = {"app": "a"}  # type: ignore[index]
    assert semantic.check(by_file, (1, 37), {}) == []
