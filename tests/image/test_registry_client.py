"""The registry client speaks the distribution API: auth, ranged resumes, verification.

These use an in-process httpx transport standing in for the registry's HTTP side; the real
registry is exercised in test_registry_pull.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from richcompose.errors import ImageError
from richcompose.image.auth import Credentials, find_credentials, parse_challenge
from richcompose.image.content import ContentStore
from richcompose.image.reference import RegistryReference
from richcompose.image.registry import RegistryClient
from tests.image.layouts import sha256

REF = RegistryReference("127.0.0.1:5000", "team/app", "v1")
BLOB = bytes(range(256)) * 4096  # 1 MiB
DIGEST = sha256(BLOB)


class FakeRegistry:
    """Serves one blob and one manifest; optionally demands a token or basic auth."""

    def __init__(self, auth: str = "none", honour_range: bool = True,
                 fail_after: int | None = None) -> None:
        self.auth = auth
        self.honour_range = honour_range
        self.fail_after = fail_after
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
            if request.headers.get("authorization") != expected:
                return httpx.Response(401)
            assert request.url.params["scope"] == "repository:team/app:pull"
            return httpx.Response(200, json={"token": "tok123"})
        if not self._authorised(request):
            challenge = ('Bearer realm="http://127.0.0.1:5000/token",service="reg",'
                         'scope="repository:team/app:pull"' if self.auth == "token"
                         else 'Basic realm="reg"')
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if request.url.path == "/v2/team/app/manifests/v1":
            return httpx.Response(200, content=b'{"schemaVersion": 2}',
                                  headers={"Content-Type": "application/json"})
        if request.url.path == f"/v2/team/app/blobs/{DIGEST}":
            return self._blob(request)
        return httpx.Response(404)

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization")
        if self.auth == "token":
            return header == "Bearer tok123"
        if self.auth == "basic":
            return header == "Basic " + base64.b64encode(b"alice:s3cret").decode()
        return True

    def _blob(self, request: httpx.Request) -> httpx.Response:
        start = 0
        if self.honour_range and request.headers.get("range"):
            start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        body = BLOB[start:]
        headers = {"Content-Range": f"bytes {start}-{len(BLOB) - 1}/{len(BLOB)}"} if start else {}
        if self.fail_after is not None:
            cut, self.fail_after = self.fail_after, None
            return httpx.Response(206 if start else 200, headers=headers,
                                  stream=_BrokenStream(body[:cut]))
        return httpx.Response(206 if start else 200, headers=headers, content=body)


class _BrokenStream(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise httpx.ReadError("connection reset by peer")


def fetch(tmp_path: Path, registry: FakeRegistry, creds: Credentials | None = None) -> Path:
    content = ContentStore(tmp_path / "store")
    with RegistryClient(REF, credentials=creds, transport=httpx.MockTransport(registry)) as c, \
            content.writer(DIGEST, len(BLOB)) as w:
        c.copy_blob(DIGEST, w)
        return w.commit()


def test_anonymous_blob_download_is_verified_and_stored(tmp_path: Path) -> None:
    path = fetch(tmp_path, FakeRegistry())
    assert path.read_bytes() == BLOB
    assert path.name == DIGEST.removeprefix("sha256:")


def test_loopback_registry_is_spoken_to_over_plain_http(tmp_path: Path) -> None:
    registry = FakeRegistry()
    fetch(tmp_path, registry)
    assert registry.requests[0].url.scheme == "http"


def test_bearer_token_is_fetched_with_stored_credentials(tmp_path: Path) -> None:
    registry = FakeRegistry(auth="token")
    fetch(tmp_path, registry, Credentials("alice", "s3cret"))
    assert [r.url.path for r in registry.requests] == [
        f"/v2/team/app/blobs/{DIGEST}", "/token", f"/v2/team/app/blobs/{DIGEST}"]


def test_token_server_refusal_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="refused access"):
        fetch(tmp_path, FakeRegistry(auth="token"), Credentials("alice", "wrong"))


def test_basic_auth_uses_stored_credentials(tmp_path: Path) -> None:
    assert fetch(tmp_path, FakeRegistry(auth="basic"), Credentials("alice", "s3cret")).exists()


def test_basic_auth_without_credentials_asks_for_a_login(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="needs a login"):
        fetch(tmp_path, FakeRegistry(auth="basic"))


def test_interrupted_partial_download_is_resumed_with_a_range(tmp_path: Path) -> None:
    content = ContentStore(tmp_path / "store")
    half = len(BLOB) // 2
    (content.root / "ingest" / f"{DIGEST.removeprefix('sha256:')}.partial").write_bytes(
        BLOB[:half])
    registry = FakeRegistry()
    path = fetch(tmp_path, registry)
    assert path.read_bytes() == BLOB
    assert registry.requests[0].headers["range"] == f"bytes={half}-"


def test_connection_cut_mid_blob_is_resumed_where_it_stopped(tmp_path: Path) -> None:
    registry = FakeRegistry(fail_after=300_000)
    assert fetch(tmp_path, registry).read_bytes() == BLOB
    assert registry.requests[1].headers["range"] == "bytes=300000-"


def test_registry_ignoring_range_restarts_from_zero(tmp_path: Path) -> None:
    content = ContentStore(tmp_path / "store")
    (content.root / "ingest" / f"{DIGEST.removeprefix('sha256:')}.partial").write_bytes(
        BLOB[:1000])
    assert fetch(tmp_path, FakeRegistry(honour_range=False)).read_bytes() == BLOB


def test_blob_not_matching_its_digest_is_never_made_visible(tmp_path: Path) -> None:
    content = ContentStore(tmp_path / "store")
    (content.root / "ingest" / f"{DIGEST.removeprefix('sha256:')}.partial").write_bytes(
        b"\xff" * 1000)  # a corrupt partial: resumed, then caught by verification
    with pytest.raises(ImageError, match="failed verification"):
        fetch(tmp_path, FakeRegistry())
    assert not content.has_blob(DIGEST)


def test_missing_manifest_is_a_not_found_error() -> None:
    ref = RegistryReference("127.0.0.1:5000", "team/other", "v1")
    with RegistryClient(ref, transport=httpx.MockTransport(FakeRegistry())) as client, \
            pytest.raises(ImageError, match="not found"):
        client.get_manifest("v1")


def test_unreachable_registry_is_an_image_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with RegistryClient(REF, transport=httpx.MockTransport(refuse)) as client, \
            pytest.raises(ImageError, match="cannot reach registry"):
        client.get_manifest("v1")


# -- WWW-Authenticate and stored credentials -----------------------------------------------------

def test_bearer_challenge_is_parsed() -> None:
    challenge = parse_challenge('Bearer realm="https://auth.docker.io/token",'
                                'service="registry.docker.io",'
                                'scope="repository:library/busybox:pull"')
    assert challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://auth.docker.io/token",
                                "service": "registry.docker.io",
                                "scope": "repository:library/busybox:pull"}


def test_challenge_with_escapes_spaces_and_bare_values_is_parsed() -> None:
    challenge = parse_challenge('Basic realm="say \\"hi\\"" , charset=UTF-8')
    assert challenge.params == {"realm": 'say "hi"', "charset": "UTF-8"}


def test_garbled_challenge_is_an_error() -> None:
    with pytest.raises(ImageError):
        parse_challenge('Bearer realm="unterminated')


def write_auth(path: Path, auths: dict[str, dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": auths}))
    return path


def encoded(user: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_credentials_come_from_docker_config(tmp_path: Path) -> None:
    write_auth(tmp_path / ".docker" / "config.json", {"reg.example:5000": encoded("bob", "pw")})
    creds = find_credentials("reg.example:5000", "app", {"HOME": str(tmp_path)})
    assert creds == Credentials("bob", "pw")


def test_registry_auth_file_takes_precedence(tmp_path: Path) -> None:
    write_auth(tmp_path / ".docker" / "config.json", {"reg.example": encoded("bob", "old")})
    auth = write_auth(tmp_path / "auth.json", {"reg.example": encoded("bob", "new")})
    env = {"HOME": str(tmp_path), "REGISTRY_AUTH_FILE": str(auth)}
    assert find_credentials("reg.example", "app", env) == Credentials("bob", "new")


def test_docker_hub_credentials_match_its_legacy_key(tmp_path: Path) -> None:
    write_auth(tmp_path / ".docker" / "config.json",
               {"https://index.docker.io/v1/": encoded("hub", "pw")})
    assert find_credentials("docker.io", "library/busybox", {"HOME": str(tmp_path)}) == \
        Credentials("hub", "pw")


def test_repository_scoped_credentials_win_over_registry_wide_ones(tmp_path: Path) -> None:
    auth = write_auth(tmp_path / "auth.json", {"reg.example": encoded("any", "1"),
                                               "reg.example/team": encoded("team", "2")})
    env = {"REGISTRY_AUTH_FILE": str(auth), "HOME": str(tmp_path)}
    assert find_credentials("reg.example", "team/app", env) == Credentials("team", "2")
    assert find_credentials("reg.example", "other/app", env) == Credentials("any", "1")


def test_no_stored_credentials_means_anonymous(tmp_path: Path) -> None:
    assert find_credentials("reg.example", "app", {"HOME": str(tmp_path)}) is None
