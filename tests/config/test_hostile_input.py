"""Hostile or broken project input: special files, impossible names and alias bombs each end in
one located ConfigError, never a traceback or a hang (#10 item 9, #15 item 4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.config.files import read_text
from richcompose.config.parse import MAX_ALIAS_EXPANSION, MAX_ALIASES, parse_yaml
from richcompose.errors import ConfigError

SERVICE = "services:\n  app:\n    image: busybox\n"


def load(tmp_path: Path, *files: Path, env_files: tuple[Path, ...] = ()) -> None:
    load_project(LoadOptions(files=files or (tmp_path / "compose.yaml",), environ={},
                             working_dir=tmp_path, env_files=env_files))


def error(tmp_path: Path, *files: Path, env_files: tuple[Path, ...] = ()) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, *files, env_files=env_files)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_dev_zero_as_project_file_is_refused(tmp_path: Path) -> None:
    assert "project file /dev/zero is a device" in error(tmp_path, Path("/dev/zero"))


def test_dev_urandom_as_project_file_is_refused(tmp_path: Path) -> None:
    assert "/dev/urandom is a device" in error(tmp_path, Path("/dev/urandom"))


def test_fifo_as_project_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "compose.yaml"
    os.mkfifo(fifo)  # nobody writes: opening it for reading would block forever
    assert "is a FIFO" in error(tmp_path, fifo)


def test_dev_zero_as_env_file_option_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(SERVICE)
    assert "env file /dev/zero is a device" in error(tmp_path, env_files=(Path("/dev/zero"),))


def test_fifo_as_service_env_file_is_refused_at_its_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "app.env")
    (tmp_path / "compose.yaml").write_text(SERVICE + "    env_file: app.env\n")
    text = error(tmp_path)
    assert text.startswith(f"{tmp_path}/compose.yaml:4:15: env_file ")
    assert "is a FIFO" in text


def test_fifo_as_default_dotenv_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".env")
    (tmp_path / "compose.yaml").write_text(SERVICE)
    assert "is a FIFO" in error(tmp_path)


def test_device_as_included_file_is_refused_at_the_include(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("include: [/dev/zero]\n" + SERVICE)
    text = error(tmp_path)
    assert text.startswith(f"{tmp_path}/compose.yaml:1:11: included file /dev/zero is a device")


def test_nul_byte_in_include_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text('include: ["\\0"]\n' + SERVICE)
    text = error(tmp_path)
    assert text.startswith(f"{tmp_path}/compose.yaml:1:11: included file name contains a NUL")


def test_5000_character_env_file_name_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(SERVICE + f"    env_file: {'a' * 5000}\n")
    text = error(tmp_path)
    assert text.startswith(f"{tmp_path}/compose.yaml:4:15: env_file name is too long")
    assert len(text) < 400  # the name is shortened in the message


def test_text_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(SERVICE + "#" * (1 << 20))
    with pytest.raises(ConfigError, match="is larger than 1 MiB; refused"):
        read_text(path, what="project file", limit=1 << 20)


def test_non_utf8_project_file_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_bytes(b"services:\n  a\xff: {}\n")
    assert error(tmp_path).startswith(f"{tmp_path}/compose.yaml:2:4: project file is not UTF-8")


BOMB = "".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)]
    + ["services: {}\n"])


def test_alias_bomb_stops_at_the_alias_that_crosses_the_bound() -> None:
    assert len(BOMB) < 700
    with pytest.raises(ConfigError) as caught:
        parse_yaml(BOMB, "bomb.yaml")
    assert f"expand to more than {MAX_ALIAS_EXPANSION}" in str(caught.value)
    assert str(caught.value).startswith("bomb.yaml:6:")


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x 1\nl: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ConfigError, match=f"more than {MAX_ALIASES} YAML aliases"):
        parse_yaml(text, "f.yaml")


def test_ordinary_anchors_and_merge_keys_still_load() -> None:
    text = "x: &d {a: 1, b: 2}\n" + "".join(f"s{i}: {{<<: *d, c: {i}}}\n" for i in range(2000))
    data, _ = parse_yaml(text, "f.yaml")
    assert data["s1999"] == {"a": 1, "b": 2, "c": 1999}
