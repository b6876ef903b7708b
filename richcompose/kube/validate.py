"""Offline validation of a set of objects: Kubernetes' JSON schemas (strict) plus semantic.py;
`convert --check DIR` runs the same over a directory convert wrote (or one edited since)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from richcompose.errors import ConfigError, Location
from richcompose.kube import semantic, writer
from richcompose.kube.options import DEFAULT_KUBE_VERSION, parse_feature_gates, parse_version
from richcompose.kube.schema import schema_problems
from richcompose.kube.semantic import Problem


def problems(by_file: dict[str, list[dict[str, Any]]], kube_version: str,
             gates: Mapping[str, bool]) -> list[Problem]:
    found = schema_problems(by_file, kube_version)
    found += semantic.check(by_file, parse_version(kube_version), dict(gates))
    return found


def check_directory(directory: Path, kube_version: str | None = None,
                    gates: Mapping[str, bool] | None = None) -> int:
    """The number of objects checked; the problems as one located error (with the others)."""
    by_file, settings = writer.read(directory)
    version = kube_version or settings.get("kube-version") or DEFAULT_KUBE_VERSION
    if gates is None:
        gates = parse_feature_gates(settings.get("feature-gates"))
    raise_problems(directory, problems(by_file, version, gates))
    return sum(len(docs) for docs in by_file.values())


def raise_problems(directory: Path, found: list[Problem]) -> None:
    if not found:
        return
    errors = [ConfigError(f"{p.object}: {p.message}", location=Location(str(directory / p.file)))
              for p in found]
    first = errors[0]
    first.hint = f"{len(found)} problem(s); the objects would not apply as written"
    first.others = errors[1:]  # type: ignore[attr-defined]
    raise first
