from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from richcompose.image.store import ImageStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("busybox") / "rootfs"
    subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"), str(root)], check=True)
    return root


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images", env={})
