"""Fixtures for network tests: a private netns per test, a state root, busybox containers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.network import NetworkManager
from tests.network.containers import Runc
from tests.network.sandbox import Sandbox, own_netns


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The test runs inside its own network namespace; none of its namespaces (its sandbox's,
    its state root's) may be left over."""
    with Sandbox() as box:
        yield box
    leaked = own_netns(tmp_path / "state", box.name)
    assert not leaked, f"network namespaces left behind: {leaked}"


@pytest.fixture
def manager(sandbox: Sandbox, tmp_path: Path) -> Iterator[NetworkManager]:
    """A NetworkManager with a temporary state root, inside the sandbox."""
    mgr = NetworkManager(tmp_path / "state")
    yield mgr
    # A failed test must not leak: undo whatever the manager recorded.
    for project in mgr.projects():
        mgr.cleanup_project(project)


@pytest.fixture
def runc(manager: NetworkManager, tmp_path: Path, busybox_rootfs: Path) -> Iterator[Runc]:
    """busybox containers under a private runc root; torn down before the manager cleans up."""
    containers = Runc(tmp_path, busybox_rootfs)
    yield containers
    containers.remove_all()
    assert containers.listed() == []
