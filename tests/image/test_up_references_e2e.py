"""Through the CLI: a project whose services use each kind of image reference comes up under
runc; `pull`, `images`, `rmi` and `image prune` work on the store."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.conftest import Richcompose

pytestmark = [pytest.mark.runc, pytest.mark.registry]


@pytest.fixture
def oci_archive(busybox_layout: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "busybox-oci.tar"
    subprocess.run(["skopeo", "copy", "-q", f"oci:{busybox_layout}:1", f"oci-archive:{archive}:1"],
                   check=True)
    return archive


@pytest.fixture
def rootfs_tarball(busybox_rootfs: Path, tmp_path: Path) -> Path:
    path = tmp_path / "vm.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(busybox_rootfs, arcname=".")
    return path


def test_every_reference_kind_comes_up(rc: Richcompose, local_image: str, busybox_layout: Path,
                                       docker_archive: Path, oci_archive: Path,
                                       rootfs_tarball: Path) -> None:
    busybox_image = local_image
    rc.write(f"""
        services:
          registry:
            image: {busybox_image}
            user: "0"
            entrypoint: ["sh", "-c", "exec sleep 300"]
          layout:
            image: oci:{busybox_layout}:1
            user: "0"
            entrypoint: ["sh", "-c", "exec sleep 300"]
          archive:
            image: docker-archive:{docker_archive}
            user: "0"
            entrypoint: ["sh", "-c", "exec sleep 300"]
          ociarchive:
            image: oci-archive:{oci_archive}:1
            user: "0"
            entrypoint: ["sh", "-c", "exec sleep 300"]
          dir:
            rootfs: ./rootfs
            command: ["sh", "-c", "exec sleep 300"]
          tarball:
            rootfs: {rootfs_tarball}
            command: ["sh", "-c", "exec sleep 300"]
    """)
    pulled = rc("pull", "--quiet")
    assert pulled.returncode == 0
    rc("up", "-d", "--pull", "missing")
    rows = json.loads(rc("ps", "--format", "json").stdout)
    assert {row["service"] for row in rows if row["state"] == "running"} == {
        "registry", "layout", "archive", "ociarchive", "dir", "tarball"}
    # The image's own config applies: WorkingDir /srv from the layout's image config.
    assert rc("exec", "-T", "layout", "pwd").stdout.strip() == "/srv"
    listed = rc("images").stdout
    assert busybox_image.split("/", 1)[1].split(":")[0] in listed
    refused = rc("rmi", busybox_image, check=False)
    assert refused.returncode != 0 and "is used by a container" in refused.stderr
    rc("down", "-t", "0")
    rc("image", "prune")
    assert busybox_image.split("/", 1)[1].split(":")[0] not in rc("images").stdout
