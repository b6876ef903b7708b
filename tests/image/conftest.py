"""Shared fixtures: a busybox rootfs, an OCI layout and docker-archive of it, and a real
registry on 127.0.0.1 with that image pushed."""

from __future__ import annotations

import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from richcompose.image.store import ImageStore
from tests.image.layouts import (
    APP_CONFIG,
    OciImage,
    entry,
    make_tar,
    push,
    tar_of_dir,
    write_oci_layout,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("busybox") / "rootfs"
    subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"), str(root)], check=True)
    return root


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`127.0.0.1:PORT` of a registry with filesystem storage in a temporary directory."""
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog: {{level: error}}\n"
                      f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
                      f"http: {{addr: '127.0.0.1:{port}'}}\n")
    process = subprocess.Popen(["docker-registry", "serve", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "registry not up"
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def busybox_image(registry: str, busybox_rootfs: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> str:
    layout = tmp_path_factory.mktemp("push") / "layout"
    app = make_tar(entry("srv", tarfile.DIRTYPE, mode=0o755), entry("srv/app", data=b"v1"))
    write_oci_layout(layout, {"1": OciImage([tar_of_dir(busybox_rootfs), app],
                                            config={"Cmd": ["sh"]})})
    push(layout, "1", f"{registry}/team/busybox:1")
    return f"{registry}/team/busybox:1"


