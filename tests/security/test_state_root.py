"""The state root is made 0700, and a looser pre-existing one is closed with a message
(#10 item 1); the rendered config.json, which holds the environment, is 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from richcompose.bundle.render import write_bundle
from richcompose.errors import StateError
from richcompose.image.content import ContentStore
from richcompose.state import close_root


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_state_root_is_created_0700(tmp_path: Path) -> None:
    assert close_root(tmp_path / "new" / "root") is None
    assert mode(tmp_path / "new" / "root") == 0o700


def test_looser_state_root_is_closed_and_said_so(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    root.chmod(0o755)
    message = close_root(root)
    assert message is not None and "0755" in message and "0700" in message
    assert mode(root) == 0o700


def test_state_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "root").write_text("")
    with pytest.raises(StateError, match="not a directory"):
        close_root(tmp_path / "root")


def test_image_store_is_closed_even_outside_a_state_root(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir(mode=0o755)
    ContentStore(tmp_path / "images")
    assert mode(tmp_path / "images") == 0o700


def test_config_json_is_readable_by_root_only(tmp_path: Path) -> None:
    spec = {"ociVersion": "1.0.2", "process": {"env": ["DB_PASSWORD=hunter2"]}}
    target = write_bundle(spec, tmp_path / "bundle")
    assert mode(target) == 0o600
