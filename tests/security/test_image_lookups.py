"""Lookups in an image never reach the host (#10 item 8): `user: NAME` is resolved from the
image's own /etc/passwd, and the initscript checks see only the image and its volumes, even
when a layer or a volume holds symlinks that point out of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from richcompose.bundle.imagefs import ImageFS
from richcompose.bundle.process import resolve_user
from richcompose.bundle.render import RenderContext, render_bundle
from richcompose.config import LoadOptions, load_project
from richcompose.errors import BundleError
from richcompose.image.types import ImageConfig, ResolvedImage
from tests.bundle.conftest import busybox_like, image_dir

__all__ = ["busybox_like"]  # a fixture

HOST_ONLY_USER = "daemon"  # in the host's /etc/passwd (uid 1), in no test image


@pytest.mark.parametrize("link", ["/etc", "../../../../../../../../etc"])
def test_user_name_is_not_looked_up_through_an_etc_that_links_to_the_host(
        tmp_path: Path, link: str) -> None:
    assert HOST_ONLY_USER in Path("/etc/passwd").read_text()
    layer = image_dir(tmp_path / "l", {"/etc": f"-> {link}"})
    with pytest.raises(BundleError, match="not found in the image's /etc/passwd"):
        resolve_user(HOST_ONLY_USER, [layer])


def test_user_name_follows_the_images_own_absolute_link(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/etc": "-> /real/etc",
                                       "/real/etc/passwd": "app:x:1234:4321::/:/bin/sh\n"})
    assert resolve_user("app", [layer]) == (1234, 4321)


def test_a_lower_layer_link_below_an_upper_directory_reaches_nothing(tmp_path: Path) -> None:
    secret = image_dir(tmp_path / "host", {"/secret.sh": "#!/bin/hostsecret\n"})
    lower = image_dir(tmp_path / "lower", {"/opt": f"-> {secret}"})
    upper = image_dir(tmp_path / "upper", {"/opt/mine": "x"})
    fs = ImageFS([upper, lower])
    assert not fs.exists("/opt/secret.sh")
    assert fs.read_head("/opt/secret.sh") == b""
    assert fs.exists("/opt/mine")


def test_an_opaque_directory_hides_the_lower_layers(tmp_path: Path) -> None:
    lower = image_dir(tmp_path / "lower", {"/d/old": "x"})
    upper = image_dir(tmp_path / "upper", {"/d/new": "y"})
    os.setxattr(upper / "d", "trusted.overlay.opaque", b"y")
    fs = ImageFS([upper, lower])
    assert fs.exists("/d/new") and not fs.exists("/d/old")


def test_a_volume_link_to_the_host_is_resolved_inside_the_container(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/bin/sh": "\x7fELF"})
    volume = image_dir(tmp_path / "v", {"/etc": "-> /etc"})
    fs = ImageFS([layer], [(volume, "/data")])
    assert not fs.exists("/data/etc/passwd")  # the container sees no /etc/passwd
    assert fs.read_head("/data/etc/passwd") == b""


def test_a_volume_subdirectory_link_is_not_followed_on_the_host(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/bin/sh": "\x7fELF"})
    volume = image_dir(tmp_path / "v", {"/sub": "-> /etc"})
    fs = ImageFS([layer], [(volume, "/data")])
    assert not fs.is_executable_file("/data/sub/passwd")
    assert not fs.exists("/data/sub/hostname")


def test_an_initscript_that_is_a_fifo_is_not_opened(tmp_path: Path) -> None:
    layer = image_dir(tmp_path / "l", {"/bin/sh": "\x7fELF"})
    os.mkfifo(layer / "init.sh")
    assert ImageFS([layer]).read_head("/init.sh") == b""  # would block if opened


def test_initscript_check_reveals_nothing_of_a_host_file_behind_a_layer_link(
        tmp_path: Path, busybox_like: Path) -> None:
    host = image_dir(tmp_path / "host", {"/init.sh": "#!/bin/HOST-SECRET-LINE\n"})
    lower = image_dir(tmp_path / "lower", {"/opt": f"-> {host}"})
    upper = image_dir(tmp_path / "upper", {"/opt/other": "x"})
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "compose.yaml").write_text(
        "services:\n  app:\n    rootfs: ./rootfs\n    rich: true\n"
        "    initscript: /opt/init.sh\n")
    project = load_project(LoadOptions(files=(project_dir / "compose.yaml",), project_name="p",
                                       environ={}, working_dir=project_dir))
    image = ResolvedImage("rootfs", (upper, lower, busybox_like), ImageConfig())
    with pytest.raises(BundleError) as raised:
        render_bundle(RenderContext(project=project, service_name="app", container_id="p-app-1",
                                    image=image, volumes_root=tmp_path / "volumes",
                                    host_env={}))
    assert "not found" in str(raised.value) and "HOST-SECRET" not in str(raised.value)
