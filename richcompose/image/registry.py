"""A small client for the distribution (registry v2) API: manifests and blobs, read-only.

Why our own client on httpx rather than driving skopeo: we need per-layer progress events for
rich progress bars, blobs written straight into our content store (resumable partial files,
digest checked while streaming, atomic rename), and skip-if-present per layer by diffID; skopeo
would copy into its own layout first (a second copy of every blob) and only offers text progress.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import TracebackType

import httpx

from richcompose.errors import ImageError
from richcompose.image.auth import Credentials, parse_challenge
from richcompose.image.content import BlobWriter
from richcompose.image.limits import ImageLimits
from richcompose.image.manifest import ACCEPT
from richcompose.image.reference import RegistryReference
from richcompose.image.stall import StallGuardTransport, timeouts

MAX_REDIRECTS = 10


class RegistryClient:
    """Pull-side distribution API for one repository, with anonymous, basic or token auth."""

    def __init__(self, ref: RegistryReference, *, credentials: Credentials | None = None,
                 transport: httpx.BaseTransport | None = None,
                 limits: ImageLimits | None = None, insecure: bool | None = None,
                 push: bool = False) -> None:
        self.ref = ref
        self.limits = limits or ImageLimits()
        # registries.conf may allow plain http for a registry; loopback speaks it by default.
        scheme = "http" if (ref.insecure if insecure is None else insecure) else "https"
        self._actions = "pull,push" if push else "pull"
        self._base = f"{scheme}://{ref.api_host}/v2/{ref.repository}"
        self._credentials = credentials
        self._authorization: str | None = None
        self._client = httpx.Client(
            transport=transport or StallGuardTransport(self.limits),
            timeout=timeouts(self.limits), follow_redirects=True, max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": "richcompose"})

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_manifest(self, reference: str) -> tuple[bytes, str]:
        """The manifest or index named by a tag or digest, and its Content-Type."""
        url = f"{self._base}/manifests/{reference}"
        try:
            response = self._send(url, {"Accept": ACCEPT})
        except httpx.HTTPError as e:
            raise self._unreachable(e) from e
        try:
            self._check(response, f"manifest {self.ref.name}:{reference}")
            return (self._read_capped(response, self.limits.manifest_bytes, "manifest"),
                    response.headers.get("content-type", ""))
        except httpx.HTTPError as e:
            raise self._unreachable(e) from e
        finally:
            response.close()

    def copy_blob(self, digest: str, writer: BlobWriter,
                  progress: Callable[[int], None] | None = None) -> None:
        """Stream a blob into `writer`, resuming from its offset with a Range request.

        A transfer cut mid-way is retried from where it stopped; the caller commits (verifies)."""
        url = f"{self._base}/blobs/{digest}"
        failures = 0
        while True:
            # identity: a Range counts bytes of the blob, not of a transfer encoding of it
            headers = {"Accept-Encoding": "identity"}
            if writer.offset:
                headers["Range"] = f"bytes={writer.offset}-"
            try:
                response = self._send(url, headers)
                try:
                    if response.status_code == 416:
                        writer.restart()  # our partial is longer than the blob: start over
                        continue
                    self._check(response, f"blob {digest} of {self.ref.name}")
                    if response.status_code != 206 or not response.headers.get(
                            "content-range", "").startswith(f"bytes {writer.offset}-"):
                        writer.restart()  # the server ignored the Range: it sends it all
                    for chunk in response.iter_bytes():
                        writer.write(chunk)
                        if progress:
                            progress(writer.offset)
                    return
                finally:
                    response.close()
            except httpx.TransportError as e:
                failures += 1
                if failures > self.limits.retries:
                    raise self._unreachable(e) from e
            except httpx.HTTPError as e:  # too many redirects, a malformed answer
                raise self._unreachable(e) from e

    def _read_capped(self, response: httpx.Response, limit: int, what: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ImageError(f"{what} of {self.ref} is {declared} bytes, more than the "
                             f"{limit} allowed; refused")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > limit:
                raise ImageError(f"{what} of {self.ref} is larger than {limit} bytes; refused")
        return bytes(data)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                content: bytes | None = None, params: dict[str, str] | None = None,
                stream: bool = False) -> httpx.Response:
        """One authenticated request under /v2/<repository> (push uses it); `path` may also be an
        absolute upload URL the registry handed out."""
        if path.startswith(("http://", "https://")):
            url = path
        elif path.startswith("/v2/"):
            url = self._base.split("/v2/", 1)[0] + path
        else:
            url = f"{self._base}{path}"
        try:
            response = self._send(url, headers or {}, method=method, content=content,
                                  params=params)
            if not stream:
                response.read()
                response.close()
            return response
        except httpx.HTTPError as e:
            raise self._unreachable(e) from e

    def _send(self, url: str, headers: dict[str, str], *, method: str = "GET",
              content: bytes | None = None,
              params: dict[str, str] | None = None) -> httpx.Response:
        for attempt in range(2):
            request = self._client.build_request(method, url, headers=headers, content=content,
                                                 params=params)
            if self._authorization:
                request.headers["Authorization"] = self._authorization
            response = self._client.send(request, stream=True)
            challenge = response.headers.get("www-authenticate")
            if response.status_code != 401 or not challenge or attempt:
                return response
            response.close()
            self._authorization = self._authenticate(challenge)
        raise AssertionError("unreachable")

    def _authenticate(self, header: str) -> str:
        challenge = parse_challenge(header)
        creds = self._credentials
        if challenge.scheme == "basic":
            if creds is None:
                raise ImageError(f"registry {self.ref.registry} needs a login",
                                 hint=f"richcompose login {self.ref.registry}")
            return "Basic " + base64.b64encode(
                f"{creds.username}:{creds.password}".encode()).decode()
        if challenge.scheme != "bearer" or "realm" not in challenge.params:
            raise ImageError(f"registry {self.ref.registry} asks for unsupported "
                             f"authentication {header!r}")
        params = {"scope": challenge.params.get(
            "scope", f"repository:{self.ref.repository}:{self._actions}")}
        if self._actions != "pull":
            params["scope"] = f"repository:{self.ref.repository}:{self._actions}"
        if "service" in challenge.params:
            params["service"] = challenge.params["service"]
        auth = (creds.username, creds.password) if creds and not creds.identity_token else None
        try:
            if creds and creds.identity_token:
                # OAuth2 refresh-token grant, as docker does with an identity token
                answer = self._client.stream("POST", challenge.params["realm"], data={
                    **params, "grant_type": "refresh_token", "client_id": "richcompose",
                    "refresh_token": creds.identity_token})
            else:
                answer = self._client.stream("GET", challenge.params["realm"], params=params,
                                             auth=auth)
            with answer as response:
                body = self._read_capped(response, self.limits.manifest_bytes, "token answer")
        except httpx.HTTPError as e:
            raise self._unreachable(e) from e
        if response.status_code != 200:
            raise ImageError(f"token server {challenge.params['realm']} refused access to "
                             f"{self.ref.name} (HTTP {response.status_code})",
                             hint=f"check the credentials (richcompose login "
                                  f"{self.ref.registry})")
        try:
            answer = json.loads(body)
            token = answer.get("token") or answer.get("access_token") if isinstance(
                answer, dict) else None
        except ValueError:
            token = None
        if not isinstance(token, str) or not token:
            raise ImageError(f"token server {challenge.params['realm']} sent no token")
        return f"Bearer {token}"

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code in (200, 206):
            return
        if response.status_code == 404:
            raise ImageError(f"{what} not found in registry {self.ref.registry}",
                             hint="check the image name and tag")
        if response.status_code in (401, 403):
            raise ImageError(f"access to {what} denied by registry {self.ref.registry}",
                             hint="log in (credentials in ~/.docker/config.json or "
                                  "REGISTRY_AUTH_FILE)")
        raise ImageError(f"registry {self.ref.registry} answered HTTP {response.status_code} "
                         f"for {what}")

    def _unreachable(self, e: Exception) -> ImageError:
        return ImageError(f"cannot reach registry {self.ref.registry}: {e}",
                          hint="is the registry running and the name right?")
