"""Names cannot escape the state root or an output directory (#10 item 4): project, service,
network, volume, secret and config names are checked as compose checks them (plus the path
rules compose's schema leaves out) with errors at file:line:col; `-p` is checked, never
normalised into something else; every name joins a host path through one safe-join helper."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.config.names import check_project_name
from richcompose.engine import Engine
from richcompose.engine.config import EngineConfig
from richcompose.errors import ConfigError, StateError
from richcompose.hostfs import safe_join
from richcompose.state import StatePaths
from tests.conftest import Richcompose

ESCAPE = "x/../../../../victim"
BAD_NAMES = [ESCAPE, "..", ".", "a/b", "a b", "new\nline", "x" * 101]


def load(tmp_path: Path, text: str) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    load_project(LoadOptions(files=(tmp_path / "compose.yaml",), working_dir=tmp_path,
                             environ={}))


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_unsafe_service_name_is_refused_at_its_key(tmp_path: Path, name: str) -> None:
    quoted = name.replace("\n", "\\n")
    with pytest.raises(ConfigError, match="invalid service name") as raised:
        load(tmp_path, f'services:\n  web:\n    image: busybox\n  "{quoted}":\n'
                       "    image: busybox\n")
    assert raised.value.location is not None
    assert (raised.value.location.line, raised.value.location.column) == (4, 3)


@pytest.mark.parametrize("section", ["networks", "volumes", "secrets", "configs"])
def test_unsafe_top_level_resource_name_is_refused_at_its_key(tmp_path: Path,
                                                              section: str) -> None:
    body = "{file: ./x}" if section in ("secrets", "configs") else "{}"
    with pytest.raises(ConfigError, match=f"invalid {section[:-1]} name '..'") as raised:
        load(tmp_path, f"services:\n  web:\n    image: busybox\n{section}:\n  '..': {body}\n")
    assert raised.value.location is not None and raised.value.location.line == 5


def test_names_compose_allows_are_accepted(tmp_path: Path) -> None:
    load(tmp_path, "services:\n  Web.v2_a-1:\n    image: busybox\n    container_name: my.web\n"
                   "volumes:\n  data.v1: {}\n")


def test_bad_container_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid container_name") as raised:
        load(tmp_path, "services:\n  web:\n    image: busybox\n    container_name: ../up\n")
    assert raised.value.location is not None and raised.value.location.line == 4


@pytest.mark.parametrize("name", ["..", "", ".", "-", "a" * 250], ids=repr)
def test_bad_dash_p_is_refused_in_one_line_and_down_touches_no_project(
        cli: Richcompose, name: str) -> None:
    rc = cli
    rc.root.mkdir(mode=0o700)
    other = rc.root / "projects" / "other"
    other.mkdir(parents=True)
    (other / "project.json").write_text("{}")
    proc = rc("-p", name, "down", check=False)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and "invalid project name" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (other / "project.json").exists()


@pytest.fixture
def cli(tmp_path: Path) -> Richcompose:
    """The CLI on a private state root, for commands refused before anything runs."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "rootfs").mkdir()
    return Richcompose(root=tmp_path / "state", project_dir=tmp_path / "project")


def test_service_name_cannot_make_up_write_outside_the_state_root(cli: Richcompose) -> None:
    rc = cli
    rc.write(f'services:\n  "{ESCAPE}":\n    rootfs: ./rootfs\n')
    proc = rc("up", "-d", check=False)
    assert proc.returncode != 0 and "compose.yaml:2:3: invalid service name" in proc.stderr
    assert not (rc.root.parent / "victim").exists()


def test_render_never_writes_outside_its_output(cli: Richcompose) -> None:
    rc = cli
    rc.write('services:\n  "../../escaped":\n    rootfs: ./rootfs\n')
    proc = rc("render", "-o", "out", check=False)
    assert proc.returncode != 0 and "invalid service name" in proc.stderr
    assert not (rc.project_dir.parent / "escaped").exists()
    assert not list(rc.project_dir.parent.glob("*escaped*"))


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "\0", "x" * 256])
def test_safe_join_refuses_anything_but_one_plain_component(tmp_path: Path, name: str) -> None:
    with pytest.raises(StateError):
        safe_join(tmp_path, name)


def test_state_paths_refuse_an_unsafe_project_or_container(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path)
    with pytest.raises(StateError):
        paths.project("..")
    with pytest.raises(StateError):
        paths.project("ok").container("../../other")


@pytest.mark.parametrize("name", ["My", "www.my.project", "_x", "-x", "a" * 101])
def test_project_names_compose_refuses_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid project name"):
        check_project_name(name, source="-p")


def test_down_v_of_a_project_keeps_a_longer_named_projects_volumes(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path / "state")
    for folder, owner in (("a_data", "a"), ("a_b_data", "a_b"), ("a_legacy", None)):
        (paths.volumes / folder).mkdir(parents=True)
        if owner:
            paths.volume_owner(paths.volumes / folder).write_text(owner)
    (paths.projects / "a_b").mkdir(parents=True)
    (paths.projects / "a_b" / "project.json").write_text("{}")
    Engine(EngineConfig(paths)).down("a", volumes=True)
    assert sorted(p.name for p in paths.volumes.iterdir() if not p.name.startswith(".")) \
        == ["a_b_data"]
