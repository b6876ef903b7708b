"""Pulls from a real registry that demands a login: Basic (htpasswd) and token (Bearer) auth,
with credentials read from REGISTRY_AUTH_FILE."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.store import ImageStore
from tests.image.layouts import OciImage, entry, make_tar, write_oci_layout
from tests.image.registry_server import TokenServer, htpasswd_line, running_registry

pytestmark = pytest.mark.registry

USER, PASSWORD = "alice", "s3cret"


@pytest.fixture(scope="module")
def small_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    layout = tmp_path_factory.mktemp("auth-layout") / "layout"
    write_oci_layout(layout, {"1": OciImage([make_tar(entry("hello", data=b"secret image"))])})
    return layout


def push_with_login(layout: Path, destination: str) -> None:
    subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                    "--dest-creds", f"{USER}:{PASSWORD}", f"oci:{layout}:1",
                    f"docker://{destination}"], check=True)


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory, small_layout: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("basic-registry")
    (root / "htpasswd").write_text(htpasswd_line(USER, PASSWORD))
    auth = f"auth: {{htpasswd: {{realm: test, path: '{root / 'htpasswd'}'}}}}\n"
    with running_registry(root, auth) as address:
        push_with_login(small_layout, f"{address}/private/app:1")
        yield address


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory,
                   small_layout: Path) -> Iterator[tuple[str, TokenServer]]:
    root = tmp_path_factory.mktemp("token-registry")
    with TokenServer(root, USER, PASSWORD) as tokens, \
            running_registry(root, tokens.registry_auth_yaml()) as address:
        push_with_login(small_layout, f"{address}/private/app:1")
        yield address, tokens


def auth_env(tmp_path: Path, registry: str, password: str = PASSWORD) -> dict[str, str]:
    auth_file = tmp_path / "auth.json"
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    auth_file.write_text(json.dumps({"auths": {registry: {"auth": token}}}))
    return {"REGISTRY_AUTH_FILE": str(auth_file), "HOME": str(tmp_path)}


def test_basic_auth_pull_uses_stored_credentials(basic_registry: str, tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "images", env=auth_env(tmp_path, basic_registry))
    image = store.pull(f"{basic_registry}/private/app:1")
    assert (image.layers[0] / "hello").read_bytes() == b"secret image"


def test_basic_auth_registry_without_credentials_asks_for_a_login(
        basic_registry: str, tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "images", env={"HOME": str(tmp_path)})
    with pytest.raises(ImageError, match="needs a login"):
        store.pull(f"{basic_registry}/private/app:1")


def test_token_auth_pull_gets_a_bearer_token(token_registry: tuple[str, TokenServer],
                                             tmp_path: Path) -> None:
    address, tokens = token_registry
    before = tokens.requests
    store = ImageStore(tmp_path / "images", env=auth_env(tmp_path, address))
    image = store.pull(f"{address}/private/app:1")
    assert (image.layers[0] / "hello").read_bytes() == b"secret image"
    assert tokens.requests == before + 1  # one token serves the manifest and every blob


def test_token_auth_with_wrong_password_is_refused(token_registry: tuple[str, TokenServer],
                                                   tmp_path: Path) -> None:
    address, _ = token_registry
    store = ImageStore(tmp_path / "images", env=auth_env(tmp_path, address, "wrong"))
    with pytest.raises(ImageError, match="refused access"):
        store.pull(f"{address}/private/app:1")
