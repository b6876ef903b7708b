"""ImageFS: the container's filesystem as layers and bind mounts, before it exists."""

from __future__ import annotations

import os
from pathlib import Path

from richcompose.bundle.imagefs import ImageFS
from richcompose.bundle.launcher import start_order
from richcompose.bundle.templates import systemd_command, systemd_environment
from richcompose.config.models import SystemService
from tests.bundle.conftest import image_dir


def test_absolute_symlinks_resolve_inside_the_image_not_the_host(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/usr/lib/systemd/systemd": "\x7fELF", "/lib": "-> /usr/lib"})
    fs = ImageFS([layer])
    assert fs.host_path("/lib/systemd/systemd") == layer / "usr/lib/systemd/systemd"
    assert fs.is_executable_file("/lib/systemd/systemd")


def test_upper_layer_wins_and_a_whiteout_hides_the_lower(tmp_path: Path) -> None:
    lower = image_dir(tmp_path / "lower", {"/a": "#!lower", "/b": "#!lower"})
    upper = image_dir(tmp_path / "upper", {"/a": "#!upper"})
    os.mknod(upper / "b", 0o600 | 0o020000, 0)  # overlay whiteout: char device 0:0
    fs = ImageFS([upper, lower])
    assert fs.read_head("/a") == b"#!upper"
    assert not fs.exists("/b")


def test_a_bind_mount_shadows_the_image(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/data/x": "image"})
    volume = image_dir(tmp_path / "v", {"/y": "volume"})
    fs = ImageFS([layer], [(volume, "/data")])
    assert fs.exists("/data/y") and not fs.exists("/data/x")


def test_which_looks_commands_up_on_the_given_path(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/usr/bin/sleep": "\x7fELF", "/usr/bin/notes": "text"})
    fs = ImageFS([layer])
    assert fs.which("sleep", "/bin:/usr/bin") == "/usr/bin/sleep"
    assert fs.which("notes", "/usr/bin") is None  # not executable


def test_system_services_start_after_their_dependencies_else_in_written_order() -> None:
    services = {
        "web": SystemService(command=["w"], after=["db"]),
        "cron": SystemService(command=["c"]),
        "db": SystemService(command=["d"]),
    }
    assert start_order(services) == ["cron", "db", "web"]


def test_systemd_quoting_keeps_words_and_stops_expansion() -> None:
    assert systemd_command(["/bin/echo", "a b", "$HOME", "50%"]) == \
        '"/bin/echo" "a b" "$$HOME" "50%%"'
    assert systemd_environment({"A": 'x "y"'}) == ['"A=x \\"y\\""']
