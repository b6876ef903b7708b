"""Fuzz target for the config loader (#10 deliverable 3): any bytes a project file may hold
yield a Project or a RichComposeError that says where (file:line:col), never another
exception, within bounded time and memory.

Inputs: raw token soup of YAML syntax (anchors, aliases, merge keys, tags, flow and block
collections, quotes), alias chains of random fan-out and depth (alias bombs), deep nesting,
and bytes that are not UTF-8. Length: `RC_EXAMPLES` examples per target (default 150, about
20 s here; nightly: `RC_EXAMPLES=20000 python3 -m pytest tests/config/test_loader_fuzz.py`).
"""

from __future__ import annotations

import os
import resource
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from richcompose.config import LoadOptions, Project, load_project
from richcompose.errors import RichComposeError
from richcompose.graph import build_graph

EXAMPLES = int(os.environ.get("RC_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Alias chains and deep nesting cost up to a second each near the bounds: a quarter as many.
HEAVY = settings(FUZZ, max_examples=max(1, EXAMPLES // 4))
SECONDS = 30  # per example: far above any real load, so only a hang trips it
PEAK_KIB = 1 << 20  # the test process's peak resident size stays under 1 GiB


class Hang(Exception):
    pass


@contextmanager
def bounded() -> Iterator[None]:
    """Fails the example if loading runs past SECONDS or the process grows past PEAK_KIB
    (tracemalloc would be exact but slows loading tenfold)."""
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"loading took more than {SECONDS} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SECONDS)
    try:
        yield
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert peak < PEAK_KIB, f"the process grew to {peak >> 10} MiB"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_bytes(data)
        with bounded():
            try:
                project = load_project(LoadOptions(files=(path,), environ={"X": "1"},
                                                   working_dir=Path(tmp)))
                build_graph(project)
            except RichComposeError as exc:
                assert exc.message
                assert exc.location is not None and exc.location.file, \
                    f"unlocated error: {exc}"
                return
        assert isinstance(project, Project)


TOKENS = ["services:", "web:", "db:", "image:", " busybox", "command:", "ports:", "x-a:",
          "networks:", "depends_on:", "volumes:", "environment:", "secrets:", "include:",
          "extends:", "<<:", "&a", "&b", "*a", "*b", "!!str", "!!int", "!!map", "!reset",
          "!override", "{", "}", "[", "]", ",", "-", "- ", ":", ": ", "'", '"', "\\", "|",
          ">", "#", "---", "...", "%YAML 1.2", "?", "!", "@", "`", "${X}", "$${", "\t",
          "\n", "\n  ", "\n    ", " ", "0o17", "0x1f", "1e400", ".nan", "~", "null", "\ufeff"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_token_soup_loads_or_fails_located(tokens: list[str]) -> None:
    check("".join(tokens).encode())


@st.composite
def alias_chains(draw: st.DrawFn) -> str:
    """`a0: &a0 [...]`, `a1: &a1 [*a0, *a0, ...]`, ...: expansion grows as fanout^depth."""
    depth = draw(st.integers(1, 12))
    fanout = draw(st.integers(1, 12))
    merge = draw(st.booleans())
    lines = ["a0: &a0 {k: v}" if merge else "a0: &a0 [lol]"]
    for i in range(1, depth):
        refs = ", ".join([f"*a{i - 1}"] * fanout)
        lines.append(f"a{i}: &a{i} {{<<: [{refs}], n{i}: 1}}" if merge else f"a{i}: &a{i} [{refs}]")
    lines.append(f"services:\n  web:\n    image: busybox\n    x-bomb: *a{depth - 1}")
    return "\n".join(lines) + "\n"


@HEAVY
@given(alias_chains())
def test_alias_chains_load_or_fail_located(text: str) -> None:
    check(text.encode())


@HEAVY
@given(st.integers(1, 3000), st.sampled_from(["[", "{a: ", "- "]))
def test_deep_nesting_loads_or_fails_located(depth: int, opener: str) -> None:
    if opener == "- ":
        text = "".join(" " * i + "- \n" for i in range(min(depth, 400)))
    else:
        text = "x-deep: " + opener * depth
    check(("services: {}\n" + text).encode())


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_load_or_fail_located(data: bytes) -> None:
    check(b"services:\n  web:\n    image: " + data)
