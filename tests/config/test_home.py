"""`~` in a project's paths is the home of the environment the loader is given (the CLI reads
the environment once), never the process's own $HOME."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from richcompose.config.loader import LoadOptions, load_document, load_project

COMPOSE = """
services:
  app:
    rootfs: ./rootfs
    env_file: ~/app.env
    volumes: ["~/data:/data", {type: bind, source: ~/logs, target: /logs}]
    security_opt: ["seccomp=~/profile.json"]
    secrets: [token]
    extends: {file: ~/base.yaml, service: base}
secrets:
  token:
    file: ~/token.txt
"""


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "app.env").write_text("FROM_HOME=yes\n")
    (home / "base.yaml").write_text("services:\n  base:\n    labels: {from: home}\n")
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    monkeypatch.setenv("HOME", "/nonexistent-process-home")  # must not be used
    return tmp_path


def options(project_dir: Path) -> LoadOptions:
    return LoadOptions(files=(project_dir / "compose.yaml",),
                       environ={"HOME": str(project_dir / "home")}, working_dir=project_dir)


def test_tilde_paths_take_the_given_environments_home(project_dir: Path) -> None:
    home = str(project_dir / "home")
    project = load_project(options(project_dir))
    app = project.services["app"]
    assert app.environment["FROM_HOME"] == "yes"  # env_file ~/app.env was read
    assert app.labels["from"] == "home"  # extends.file ~/base.yaml was read
    assert {v.source for v in app.volumes} == {f"{home}/data", f"{home}/logs"}
    assert app.security_opt == [f"seccomp={home}/profile.json"]
    assert project.secrets["token"].file == f"{home}/token.txt"
    assert os.environ["HOME"] == "/nonexistent-process-home"


def test_config_without_interpolation_shows_tilde_as_written(project_dir: Path) -> None:
    doc = load_document(LoadOptions(files=(project_dir / "compose.yaml",), interpolate=False,
                                    environ={"HOME": str(project_dir / "home")},
                                    working_dir=project_dir))
    assert "~/token.txt" in json.dumps(doc)
