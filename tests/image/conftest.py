"""Shared fixtures: a busybox rootfs, an OCI layout and docker-archive of it, and a real
registry on 127.0.0.1 with that image pushed."""

from __future__ import annotations

import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.image.store import ImageStore
from tests.conftest import Richcompose
from tests.image.layouts import (
    APP_CONFIG,
    OciImage,
    entry,
    make_tar,
    push,
    tar_of_dir,
    write_oci_layout,
)
from tests.image.registry_server import running_registry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images", env={})


@pytest.fixture(scope="session")
def busybox_layout(busybox_rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    layout = tmp_path_factory.mktemp("layout") / "busybox"
    app = make_tar(entry("srv", tarfile.DIRTYPE, mode=0o755), entry("srv/app", data=b"v1"))
    write_oci_layout(layout, {"1": OciImage([tar_of_dir(busybox_rootfs), app],
                                            config=APP_CONFIG)})
    return layout


@pytest.fixture(scope="session")
def docker_archive(busybox_layout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("archive") / "busybox.tar"
    subprocess.run(["skopeo", "copy", "-q", f"oci:{busybox_layout}:1",
                    f"docker-archive:{archive}:busybox:1"], check=True)
    return archive


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`127.0.0.1:PORT` of an anonymous registry with storage in a temporary directory."""
    with running_registry(tmp_path_factory.mktemp("registry")) as address:
        yield address


@pytest.fixture(scope="session")
def busybox_image(registry: str, busybox_rootfs: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> str:
    layout = tmp_path_factory.mktemp("push") / "layout"
    app = make_tar(entry("srv", tarfile.DIRTYPE, mode=0o755), entry("srv/app", data=b"v1"))
    write_oci_layout(layout, {"1": OciImage([tar_of_dir(busybox_rootfs), app],
                                            config={"Cmd": ["sh"]})})
    push(layout, "1", f"{registry}/team/busybox:1")
    return f"{registry}/team/busybox:1"


@pytest.fixture
def local_image(rc: Richcompose, busybox_layout: Path, tmp_path: Path) -> Iterator[str]:
    """A registry on the loopback of the test's own network namespace (the `rc` fixture's),
    with the busybox image pushed: richcompose pulls from there."""
    (tmp_path / "registry").mkdir()
    with running_registry(tmp_path / "registry") as address:
        push(busybox_layout, "1", f"{address}/team/busybox:1")
        yield f"{address}/team/busybox:1"
