"""`push` to a registry with token (Bearer) auth: the client asks for pull,push scope with the
stored credentials, skips blobs the registry has, and the pushed image pulls back the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.push import push_image
from richcompose.image.store import ImageStore
from tests.image.layouts import OciImage, entry, make_tar, push, write_oci_layout
from tests.image.registry_server import TokenServer, running_registry
from tests.image.test_registry_auth import PASSWORD, USER, auth_env

pytestmark = pytest.mark.registry


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "token-registry"
    root.mkdir()
    with TokenServer(root, USER, PASSWORD) as tokens, \
            running_registry(root, tokens.registry_auth_yaml()) as address:
        yield address


@pytest.fixture
def source(tmp_path: Path) -> Iterator[str]:
    layout = tmp_path / "layout"
    write_oci_layout(layout, {"1": OciImage([make_tar(entry("hello", data=b"pushed"))])})
    (tmp_path / "anon").mkdir()
    with running_registry(tmp_path / "anon") as address:
        push(layout, "1", f"{address}/team/app:1")
        yield f"{address}/team/app:1"


def test_push_with_token_auth_and_pull_back(tmp_path: Path, token_registry: str,
                                            source: str) -> None:
    env = auth_env(tmp_path, token_registry)
    store = ImageStore(tmp_path / "images", env=env)
    pulled = store.pull(source)
    target = f"{token_registry}/private/app:2"
    said: list[str] = []
    digest = push_image(store, source, destination=target, env=env, report=said.append)
    assert digest == pulled.digest and any(s.endswith("pushed") for s in said)
    again: list[str] = []
    push_image(store, source, destination=target, env=env, report=again.append)
    assert again and all(s.endswith("already exists") for s in again)
    other = ImageStore(tmp_path / "other", env=env)
    assert other.pull(target).digest == pulled.digest


def test_push_without_credentials_is_refused_with_a_hint(tmp_path: Path, token_registry: str,
                                                         source: str) -> None:
    store = ImageStore(tmp_path / "images", env={})
    store.pull(source)
    with pytest.raises(ImageError) as info:
        push_image(store, source, destination=f"{token_registry}/private/app:2",
                   env={"HOME": str(tmp_path)})
    assert "login" in (info.value.hint or "") + info.value.message
