"""`push`: a stored image (a built one: its blobs are kept) uploaded to its registry.

Blobs the registry has are skipped (HEAD); others go up in one monolithic upload each
(POST then PUT ?digest=), then the manifest is PUT under the tag. The registry to talk to comes
from registries.conf (insecure, blocked) — mirrors are for pulling only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from richcompose.errors import ImageError
from richcompose.image.auth import find_credentials
from richcompose.image.manifest import media_type_of, parse_manifest
from richcompose.image.reference import RegistryReference, parse_registry_reference
from richcompose.image.registries import RegistriesConf
from richcompose.image.registry import RegistryClient
from richcompose.image.store import ImageStore


def push_image(store: ImageStore, reference: str, *, destination: str | None = None,
               env: Mapping[str, str], registries: RegistriesConf | None = None,
               transport: httpx.BaseTransport | None = None,
               report: Callable[[str], None] | None = None) -> str:
    """Push the stored `reference` to `destination` (default: its own name); the manifest
    digest the registry now serves."""
    say = report or (lambda message: None)
    record = store.record(reference)
    if record is None:
        raise ImageError(f"no such image: {reference}", hint="build or pull it first")
    raw = store.content.read_blob(record.digest)
    manifest = parse_manifest(raw)
    blobs = [manifest.config, *manifest.layers]
    missing = [b.digest for b in blobs if not store.content.has_blob(b.digest)]
    if missing:
        raise ImageError(f"image {reference} cannot be pushed: its layer blobs are not kept "
                         "(it came from a local transport)",
                         hint="push built or pulled images; re-create this one with build:")
    target = parse_registry_reference(destination or record.reference)
    if target.digest:
        raise ImageError(f"cannot push to a digest reference {target}", hint="push to a tag")
    endpoint = (registries or RegistriesConf()).endpoints(target)[-1]  # the registry, no mirror
    creds = find_credentials(target.registry, target.repository, env)
    with RegistryClient(target, credentials=creds, transport=transport,
                        insecure=endpoint.insecure, push=True) as client:
        for blob in blobs:
            short = blob.digest.removeprefix("sha256:")[:12]
            if _exists(client, blob.digest):
                say(f"{short}: layer already exists")
                continue
            _upload(client, target, blob.digest, store.content.blob_path(blob.digest))
            say(f"{short}: pushed")
        media_type = media_type_of(raw, "")
        response = client.request("PUT", f"/manifests/{target.tag or 'latest'}", content=raw,
                                  headers={"Content-Type": media_type})
        _check(response, target, "manifest")
        return record.digest


def _exists(client: RegistryClient, digest: str) -> bool:
    response = client.request("HEAD", f"/blobs/{digest}")
    return response.status_code == 200


def _upload(client: RegistryClient, target: RegistryReference, digest: str, path: Path) -> None:
    response = client.request("POST", "/blobs/uploads/")
    _check(response, target, "upload", (202,))
    location = response.headers.get("location")
    if not location:
        raise ImageError(f"registry {target.registry} started an upload without a Location")
    url = location + ("&" if "?" in location else "?") + f"digest={digest}"
    response = client.request("PUT", url, content=path.read_bytes(),
                              headers={"Content-Type": "application/octet-stream"})
    _check(response, target, f"blob {digest[:19]}", (201,))


def _check(response: httpx.Response, target: RegistryReference, what: str,
           ok: tuple[int, ...] = (200, 201, 202)) -> None:
    if response.status_code in ok:
        return
    if response.status_code in (401, 403):
        raise ImageError(f"registry {target.registry} refused the push of {target} ({what}): "
                         f"HTTP {response.status_code}", hint="richcompose login "
                         f"{target.registry}")
    raise ImageError(f"registry {target.registry} answered HTTP {response.status_code} to the "
                     f"{what} of {target}")


