"""Property: whatever YAML a user writes, the loader returns a valid Project or raises a
RichComposeError (with a message), never anything else. Random documents built from compose's
own key names, and real project files mutated character by character."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from richcompose.config import LoadOptions, Project, load_project
from richcompose.config.models import Service
from richcompose.errors import RichComposeError
from richcompose.graph import build_graph

GOLDEN = Path(__file__).parent / "golden"
SEEDS = sorted(p.read_text() for p in GOLDEN.glob("*/compose.yaml"))
SERVICE_KEYS = sorted(Service.model_fields)
TOP_KEYS = ["name", "services", "networks", "volumes", "configs", "secrets", "include",
            "version", "x-extra"]
SETTINGS = settings(max_examples=int(os.environ.get("RC_EXAMPLES", "250")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False),
    st.sampled_from(["", "busybox", "80:80", "./data:/data:ro", "10s", "512m", "${X}",
                     "${X:-d}", "${X:?gone}", "$$", "$", "no", "service:web", "web", "a=b",
                     "CMD", "!reset", "/dev/null", "0.5", "${", "on-failure:3"]),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(SERVICE_KEYS + TOP_KEYS + ["web", "db", "x-a"]),
                 st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
services = st.dictionaries(st.sampled_from(["web", "db", "cache", "base"]),
                           st.dictionaries(st.sampled_from(SERVICE_KEYS), values, max_size=6),
                           max_size=3)
documents = st.fixed_dictionaries({"services": services},
                                  optional={k: values for k in TOP_KEYS if k != "services"})


def load_text(text: str, *overrides: str) -> Project | None:
    """Loads `text` as compose.yaml (then each override as another -f file) in a fresh
    directory; None when it was rightly refused."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, content in enumerate((text, *overrides)):
            paths.append(Path(tmp) / f"compose{index}.yaml")
            paths[-1].write_text(content)
        try:
            project = load_project(LoadOptions(files=tuple(paths), environ={"X": "1"},
                                               working_dir=Path(tmp)))
            build_graph(project)
        except RichComposeError as exc:
            assert exc.message, "an error must say what is wrong"
            return None
        return project


@SETTINGS
@given(documents)
def test_random_documents_load_or_fail_cleanly(document: dict[str, Any]) -> None:
    project = load_text(yaml.safe_dump(document))
    if project is not None:
        assert isinstance(project, Project)
        assert set(project.services) <= set(document["services"])


mutations = st.lists(st.tuples(st.sampled_from(["delete", "insert", "duplicate", "swap"]),
                               st.integers(0, 10_000), st.integers(0, 40),
                               st.sampled_from([":", "-", " ", "  ", "\n", "{", "}", "[", "'",
                                                '"', "$", "${", "!reset ", "&a ", "*a", "\t",
                                                "<<: ", "#", "x-", "0"])),
                     min_size=1, max_size=4)


def mutate(text: str, steps: list[tuple[str, int, int, str]]) -> str:
    for op, at, length, piece in steps:
        at %= max(len(text), 1)
        if op == "delete":
            text = text[:at] + text[at + length:]
        elif op == "insert":
            text = text[:at] + piece + text[at:]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                i = at % len(lines)
                j = (i + 1 + length) % len(lines)
                if op == "duplicate":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


@SETTINGS
@given(st.sampled_from(SEEDS), mutations)
def test_mutated_project_files_load_or_fail_cleanly(seed: str,
                                                    steps: list[tuple[str, int, int, str]]) -> None:
    load_text(mutate(seed, steps))


@SETTINGS
@given(st.sampled_from(SEEDS), st.sampled_from(SEEDS), documents, mutations)
def test_merged_files_load_or_fail_cleanly(seed: str, other: str, document: dict[str, Any],
                                           steps: list[tuple[str, int, int, str]]) -> None:
    load_text(seed, mutate(other, steps), yaml.safe_dump(document))
