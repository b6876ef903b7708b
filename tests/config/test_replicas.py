"""Replica counts: scale, deploy.replicas and `up --scale`, checked as compose checks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.config.models import Project
from richcompose.config.replicas import parse_scale, replica_count, with_scale
from richcompose.errors import ConfigError, UsageError


def _load(tmp_path: Path, text: str) -> Project:
    (tmp_path / "compose.yaml").write_text(text)
    return load_project(LoadOptions(environ={}, working_dir=tmp_path))


def test_one_replica_by_default(tmp_path: Path) -> None:
    project = _load(tmp_path, "services:\n  web: {image: a}\n")
    assert replica_count(project.services["web"]) == 1


def test_scale_flag_overrides_the_file(tmp_path: Path) -> None:
    project = _load(tmp_path, "services:\n  web: {image: a, deploy: {replicas: 1}}\n")
    scaled = with_scale(project, parse_scale(["web=3"]))
    assert replica_count(scaled.services["web"]) == 3
    assert scaled.locate(("services", "web")) == project.locate(("services", "web"))


def test_scale_flag_checks_host_ports_again(tmp_path: Path) -> None:
    project = _load(tmp_path, "services:\n  web:\n    image: a\n    ports: ['8080:80']\n")
    with pytest.raises(ConfigError, match="cannot be published by 2 replicas") as err:
        with_scale(project, {"web": 2})
    assert err.value.location is not None and err.value.location.line == 4


def test_scale_flag_names_an_unknown_service() -> None:
    with pytest.raises(UsageError, match="no such service"):
        with_scale(Project(), {"nope": 2})


@pytest.mark.parametrize("value", ["web", "web=x", "=2"])
def test_malformed_scale_flag_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError):
        parse_scale([value]) if value != "=2" else with_scale(Project(), parse_scale([value]))
