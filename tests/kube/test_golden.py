"""Every example converts to the same bytes as its golden output, for a Kubernetes release
before `lifecycle.stopSignal` and a current one with it; the output passes the strict
schemas and semantic checks (convert refuses to write otherwise), `convert --check` agrees,
and kubectl's kustomize builds it. RICHCOMPOSE_UPDATE_GOLDEN=1 rewrites the golden files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from richcompose.kube.output import convert_to_directory
from richcompose.kube.validate import check_directory
from tests.kube.conftest import EXAMPLES, KUBECTL, SETTINGS, directory_text, load_example

GOLDEN = Path(__file__).parent / "golden"


def test_every_example_has_a_kubernetes_override() -> None:
    examples = sorted(p.name for p in (GOLDEN.parents[2] / "examples").iterdir() if p.is_dir())
    assert examples == EXAMPLES


@pytest.mark.parametrize("setting", sorted(SETTINGS))
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_converts_to_its_golden_output(tmp_path: Path, example: str,
                                               setting: str) -> None:
    out = tmp_path / "k8s"
    convert_to_directory(load_example(example), SETTINGS[setting], out)
    text = directory_text(out)
    golden = GOLDEN / f"{example}.{setting}.yaml"
    if os.environ.get("RICHCOMPOSE_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
    assert check_directory(out) == len(list(out.glob("*.yaml"))) - 1
    built = subprocess.run([*KUBECTL, "kustomize", str(out)], capture_output=True, text=True,
                           check=True).stdout
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in yaml.load_all(built, loader))
    listed = sorted(f"{d['kind']}/{d['metadata']['name']}" for f in out.glob("*-*.yaml")
                    for d in yaml.load_all(f.read_text(), loader))
    assert kinds == listed


def test_conversion_is_byte_stable(tmp_path: Path) -> None:
    for attempt in ("a", "b"):
        convert_to_directory(load_example("rich-dumb-init"), SETTINGS["1.32"], tmp_path / attempt)
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}


def test_stop_signal_appears_only_where_the_version_and_gate_allow_it() -> None:
    old = (GOLDEN / "rich-systemd.1.32.yaml").read_text()
    new = (GOLDEN / "rich-systemd.1.37-stop-signals.yaml").read_text()
    assert "stopSignal" not in old
    assert "stopSignal: SIGRTMIN+3" in new and "name: linux" in new
    assert old.count("/.richcompose/bin/stop-systemd") == new.count(
        "/.richcompose/bin/stop-systemd") == 1
