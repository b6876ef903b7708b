"""Registry credentials: auth files as docker and podman write them, credential helpers on
PATH, and login/logout writing the same format."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.auth import Credentials, find_credentials
from richcompose.image.credentials import erase_credentials, store_credentials
from tests.build.helpers import env_with, install_helper


def write_config(home: Path, doc: dict[str, object]) -> Path:
    path = home / ".docker" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_cred_helpers_entry_runs_the_helper_on_path(tmp_path: Path) -> None:
    install_helper(tmp_path / "bin", secrets={"reg.example:5000": ("ci", "tok3n")})
    write_config(tmp_path, {"credHelpers": {"reg.example:5000": "testhelper"}})
    env = env_with(tmp_path / "bin", tmp_path)
    assert find_credentials("reg.example:5000", "team/app", env) == Credentials("ci", "tok3n")


def test_creds_store_answers_for_registries_without_an_auths_entry(tmp_path: Path) -> None:
    install_helper(tmp_path / "bin", secrets={"reg.example": ("ci", "s3")})
    write_config(tmp_path, {"credsStore": "testhelper",
                            "auths": {"other.example": {"auth": base64.b64encode(
                                b"u:p").decode()}}})
    env = env_with(tmp_path / "bin", tmp_path)
    assert find_credentials("reg.example", "app", env) == Credentials("ci", "s3")
    assert find_credentials("other.example", "app", env) == Credentials("u", "p")


def test_a_helper_token_user_is_an_identity_token(tmp_path: Path) -> None:
    install_helper(tmp_path / "bin", secrets={"reg.example": ("<token>", "refresh-me")})
    write_config(tmp_path, {"credHelpers": {"reg.example": "testhelper"}})
    creds = find_credentials("reg.example", "app", env_with(tmp_path / "bin", tmp_path))
    assert creds is not None and creds.identity_token == "refresh-me"
    assert "refresh-me" not in repr(creds)


def test_a_missing_helper_is_an_error_that_names_it(tmp_path: Path) -> None:
    write_config(tmp_path, {"credHelpers": {"reg.example": "nothere"}})
    with pytest.raises(ImageError, match="docker-credential-nothere is not on PATH"):
        find_credentials("reg.example", "app", {"HOME": str(tmp_path), "PATH": "/nonexistent"})


def test_podman_auth_file_is_read_before_docker_config(tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {"reg.example": {
        "auth": base64.b64encode(b"pod:man").decode()}}}))
    write_config(tmp_path, {"auths": {"reg.example": {"auth": base64.b64encode(
        b"dock:er").decode()}}})
    env = {"HOME": str(tmp_path), "REGISTRY_AUTH_FILE": str(auth)}
    assert find_credentials("reg.example", "app", env) == Credentials("pod", "man")


def test_login_writes_a_base64_auth_entry_mode_0600_keeping_other_keys(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"auths": {"a.example": {"auth": "eDp5"}}, "psFormat": "x"})
    where = store_credentials("reg.example:5000", Credentials("ci", "pw"), {"HOME": str(tmp_path)})
    doc = json.loads(path.read_text())
    assert where == str(path)
    assert doc["psFormat"] == "x" and doc["auths"]["a.example"] == {"auth": "eDp5"}
    assert base64.b64decode(doc["auths"]["reg.example:5000"]["auth"]) == b"ci:pw"
    assert path.stat().st_mode & 0o777 == 0o600


def test_login_with_a_creds_store_gives_the_secret_to_the_helper_only(tmp_path: Path) -> None:
    install_helper(tmp_path / "bin")
    path = write_config(tmp_path, {"credsStore": "testhelper"})
    env = env_with(tmp_path / "bin", tmp_path)
    assert store_credentials("reg.example", Credentials("ci", "sup3r"), env) == \
        "docker-credential-testhelper"
    assert "sup3r" not in path.read_text()
    assert find_credentials("reg.example", "app", env) == Credentials("ci", "sup3r")


def test_logout_removes_the_entry_and_the_helpers_secret(tmp_path: Path) -> None:
    install_helper(tmp_path / "bin", secrets={"reg.example": ("ci", "x")})
    write_config(tmp_path, {"credHelpers": {"reg.example": "testhelper"},
                            "auths": {"reg.example": {}}})
    env = env_with(tmp_path / "bin", tmp_path)
    assert erase_credentials("reg.example", env)
    assert find_credentials("reg.example", "app", env) is None
    assert not erase_credentials("reg.example", {"HOME": str(tmp_path / "nobody")})


def test_docker_hub_is_stored_under_dockers_own_key(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    store_credentials("docker.io", Credentials("me", "pw"), {}, path)
    assert list(json.loads(path.read_text())["auths"]) == ["https://index.docker.io/v1/"]
    assert find_credentials("docker.io", "library/busybox",
                            {"REGISTRY_AUTH_FILE": str(path), "HOME": str(tmp_path)}) == \
        Credentials("me", "pw")
