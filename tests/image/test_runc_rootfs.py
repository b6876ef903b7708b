"""Every kind of reference yields a root filesystem runc can run, shared by containers
through overlayfs without a copy: each container writes only to its own upper directory."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from richcompose.image.store import ImageStore
from richcompose.image.types import ResolvedImage
from tests.image.layouts import tar_of_dir

pytestmark = pytest.mark.runc


class Containers:
    """Runs one command per container in an overlay of the image; cleans everything up."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.state = base / "runc-state"
        self.mounts: list[Path] = []
        self.ids: list[str] = []

    def run(self, image: ResolvedImage, name: str, script: str) -> tuple[str, Path]:
        bundle = self.base / name
        for sub in ("upper", "work", "rootfs"):
            (bundle / sub).mkdir(parents=True)
        lowerdir = ":".join(str(p) for p in image.layers)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={lowerdir},upperdir={bundle}/upper,workdir={bundle}/work",
                        str(bundle / "rootfs")], check=True)
        self.mounts.append(bundle / "rootfs")
        subprocess.run(["runc", "spec", "-b", str(bundle)], check=True)
        spec = json.loads((bundle / "config.json").read_text())
        spec["process"].update(terminal=False, args=["/bin/sh", "-c", script])
        spec["root"] = {"path": str(bundle / "rootfs"), "readonly": False}
        (bundle / "config.json").write_text(json.dumps(spec))
        container_id = f"rc-image-test-{os.getpid()}-{name}"
        self.ids.append(container_id)
        done = subprocess.run(["runc", "--root", str(self.state), "run", "-b", str(bundle),
                               container_id], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        return done.stdout, bundle / "upper"

    def cleanup(self) -> None:
        for container_id in self.ids:
            subprocess.run(["runc", "--root", str(self.state), "delete", "-f", container_id],
                           capture_output=True)
        for mount in reversed(self.mounts):
            if os.path.ismount(mount):
                subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def containers(tmp_path: Path) -> Iterator[Containers]:
    c = Containers(tmp_path / "containers")
    yield c
    c.cleanup()


def _oci(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    return store.resolve(f"oci:{request.getfixturevalue('busybox_layout')}:1")


def _oci_archive(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    layout: Path = request.getfixturevalue("busybox_layout")
    archive = request.getfixturevalue("tmp_path") / "oci.tar"
    subprocess.run(["tar", "-C", str(layout), "-cf", str(archive), "."], check=True)
    return store.resolve(f"oci-archive:{archive}:1")


def _docker_archive(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    return store.resolve(f"docker-archive:{request.getfixturevalue('docker_archive')}")


def _registry(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    return store.resolve(request.getfixturevalue("busybox_image"), pull="missing")


def _rootfs_dir(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    return store.resolve_rootfs(request.getfixturevalue("busybox_rootfs"))


def _rootfs_tarball(store: ImageStore, request: pytest.FixtureRequest) -> ResolvedImage:
    tarball = request.getfixturevalue("tmp_path") / "vm.tar"
    tarball.write_bytes(tar_of_dir(request.getfixturevalue("busybox_rootfs")))
    return store.resolve_rootfs(tarball)


KINDS: dict[str, Callable[[ImageStore, pytest.FixtureRequest], ResolvedImage]] = {
    "oci": _oci, "oci-archive": _oci_archive, "docker-archive": _docker_archive,
    "registry": _registry, "rootfs-dir": _rootfs_dir, "rootfs-tarball": _rootfs_tarball,
}


@pytest.mark.parametrize("kind", [
    pytest.param(k, marks=[pytest.mark.registry] if k == "registry" else []) for k in KINDS])
def test_each_reference_kind_runs_under_runc_with_private_writes(
        kind: str, store: ImageStore, containers: Containers,
        request: pytest.FixtureRequest) -> None:
    image = KINDS[kind](store, request)
    first, upper1 = containers.run(image, "one", "cat /etc/hostname; echo one > /written")
    second, upper2 = containers.run(image, "two", "cat /written 2>/dev/null || echo clean")
    assert first.strip() == "richcompose"
    assert second.strip() == "clean"
    assert (upper1 / "written").read_text() == "one\n"
    assert not any((layer / "written").exists() for layer in image.layers)
    assert list(upper2.iterdir()) == []
