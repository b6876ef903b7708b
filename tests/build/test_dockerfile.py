"""The images a Dockerfile needs from outside, found the way buildah reads the file."""

from __future__ import annotations

from richcompose.image.build.dockerfile import external_images, stages, substitute


def test_from_images_expand_global_args_overridden_by_build_args() -> None:
    text = "ARG BASE=busybox\nARG TAG\nFROM ${BASE}:${TAG:-1.36} AS build\n"
    assert [s.base for s in stages(text, {})] == ["busybox:1.36"]
    assert [s.base for s in stages(text, {"TAG": "1.37"})] == ["busybox:1.37"]
    assert [s.base for s in stages(text, {"BASE": "alpine"})] == ["alpine:1.36"]


def test_stage_names_scratch_and_indexes_are_not_external() -> None:
    text = """FROM --platform=linux/amd64 reg.example/base:1 AS build
RUN make
FROM scratch
COPY --from=build /out /out
COPY --from=0 /a /a
COPY --from=tools:2 /t /t
FROM build
"""
    assert external_images(text, {}) == ["reg.example/base:1", "tools:2"]


def test_run_mount_from_and_named_contexts() -> None:
    text = "FROM busybox\nRUN --mount=type=bind,from=helper:1,target=/h \\\n    --mount=from=ctx echo\n"
    assert external_images(text, {}, {"ctx": "/dir"}) == ["busybox", "helper:1"]


def test_continuations_comments_and_heredocs() -> None:
    text = """# syntax=docker/dockerfile:1
FROM \\
  # a comment inside the continuation
  busybox:1 AS a
RUN <<EOF
FROM not-an-instruction
EOF
"""
    assert external_images(text, {}) == ["busybox:1"]


def test_the_escape_directive_changes_the_continuation_character() -> None:
    assert external_images("# escape=`\nFROM `\n  busybox\n", {}) == ["busybox"]


def test_substitution_forms() -> None:
    assert substitute("${A:-x}/${B:+y}/$C/${D}", {"B": "1", "C": "c"}) == "x/y/c/"
