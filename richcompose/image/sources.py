"""Where an image's manifests and blobs come from: a registry, an OCI layout (directory or
archive) or a `docker save` archive. Each source hands out verified manifests and blob streams.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from richcompose.errors import ImageError
from richcompose.image.content import ContentStore, digest_hex
from richcompose.image.manifest import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    Descriptor,
    diff_ids,
    index_entries,
)
from richcompose.image.reference import parse_registry_reference

if TYPE_CHECKING:
    from richcompose.image.registry import RegistryClient

_TAG_ANNOTATION = "org.opencontainers.image.ref.name"


class ImageSource(Protocol):
    def manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        """The top-level manifest or index (digest None), or the one with that digest."""

    def fetch(self, desc: Descriptor, progress: Callable[[int], None] | None) -> None:
        """Make the blob locally readable (a registry downloads it); no-op for local sources."""

    def open_blob(self, desc: Descriptor) -> AbstractContextManager[BinaryIO]:
        """A seekable stream of the blob; the reader verifies its digest."""

    def close(self) -> None: ...


def verified(data: bytes, digest: str, what: str) -> bytes:
    actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
    if actual != digest:
        raise ImageError(f"{what} does not match its digest {digest} (got {actual})",
                         hint="the source is corrupt or tampered with")
    return data


class RegistrySource:
    """Blobs are downloaded into the content store (resumable) and read from there."""

    def __init__(self, client: RegistryClient, content: ContentStore) -> None:
        self._client = client
        self._content = content

    def manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        ref = self._client.ref
        wanted = digest or ref.digest
        data, media_type = self._client.get_manifest(wanted or ref.manifest_ref)
        if wanted:
            verified(data, wanted, f"manifest of {ref}")
        return data, media_type

    def fetch(self, desc: Descriptor, progress: Callable[[int], None] | None) -> None:
        if self._content.has_blob(desc.digest):
            return
        with self._content.writer(desc.digest, desc.size if desc.size >= 0 else None,
                                  self._client.limits.layer_compressed_bytes) as w:
            if not w.complete:
                self._client.copy_blob(desc.digest, w, progress)
                w.commit()

    @contextmanager
    def open_blob(self, desc: Descriptor) -> Iterator[BinaryIO]:
        self.fetch(desc, None)
        with self._content.blob_path(desc.digest).open("rb") as f:
            yield f

    def close(self) -> None:
        self._client.close()


class _Files(Protocol):
    def read(self, name: str) -> bytes: ...

    def open(self, name: str) -> AbstractContextManager[BinaryIO]: ...

    def close(self) -> None: ...


class DirFiles:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ImageError(f"{root} is not a directory", hint="oci: names an OCI layout dir")
        self._root = root

    def read(self, name: str) -> bytes:
        try:
            return (self._root / name).read_bytes()
        except OSError as e:
            raise ImageError(f"cannot read {name} in {self._root}: {e.strerror}") from e

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        try:
            f = (self._root / name).open("rb")
        except OSError as e:
            raise ImageError(f"cannot read {name} in {self._root}: {e.strerror}") from e
        with f:
            yield f

    def close(self) -> None:
        pass


class TarFiles:
    """Random access to the members of an uncompressed tar (oci-archive, docker-archive)."""

    def __init__(self, path: Path) -> None:
        try:
            self._tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by close()
        except (OSError, tarfile.TarError) as e:
            raise ImageError(f"cannot open archive {path}: {e}") from e
        self._path = path
        self._members = {m.name.removeprefix("./"): m for m in self._tar.getmembers()
                         if m.isreg()}

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        member = self._members.get(name.removeprefix("./"))
        stream = self._tar.extractfile(member) if member else None
        if stream is None:
            raise ImageError(f"archive {self._path} has no file {name!r}")
        with stream:
            yield stream  # type: ignore[misc]

    def size(self, name: str) -> int:
        member = self._members.get(name.removeprefix("./"))
        return member.size if member else -1

    def close(self) -> None:
        self._tar.close()


class OciLayoutSource:
    """An OCI image layout; `tag` selects the index entry with that ref.name annotation."""

    def __init__(self, files: _Files, tag: str | None, what: str) -> None:
        self._files = files
        self._tag = tag
        self._what = what

    def manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is not None:
            return self._blob(digest, f"manifest {digest} in {self._what}"), ""
        entry = self._top_entry()
        return self._blob(entry.digest, f"manifest of {self._what}"), entry.media_type

    def _top_entry(self) -> Descriptor:
        entries = index_entries(self._files.read("index.json"))
        if self._tag:
            matches = [e for e in entries if e.annotations.get(_TAG_ANNOTATION) == self._tag]
        else:
            matches = entries
        if len(matches) == 1:
            return matches[0]
        tags = sorted(e.annotations.get(_TAG_ANNOTATION, "?") for e in entries)
        if not matches:
            raise ImageError(f"{self._what} has no image tagged {self._tag!r}",
                             hint=f"its tags: {', '.join(tags) or 'none'}")
        raise ImageError(f"{self._what} holds {len(matches)} images",
                         hint=f"add :TAG to the reference; its tags: {', '.join(tags)}")

    def _blob(self, digest: str, what: str) -> bytes:
        return verified(self._files.read(f"blobs/sha256/{digest_hex(digest)}"), digest, what)

    def fetch(self, desc: Descriptor, progress: Callable[[int], None] | None) -> None:
        pass

    def open_blob(self, desc: Descriptor) -> AbstractContextManager[BinaryIO]:
        return self._files.open(f"blobs/sha256/{digest_hex(desc.digest)}")

    def close(self) -> None:
        self._files.close()


class DockerArchiveSource:
    """`docker save` output: manifest.json lists config and uncompressed layer tars, from which
    an equivalent schema 2 manifest is built (a layer's digest is then its diffID)."""

    def __init__(self, files: TarFiles, ref: str | None, what: str) -> None:
        self._files = files
        self._what = what
        try:
            entries = json.loads(files.read("manifest.json"))
        except ValueError as e:
            raise ImageError(f"manifest.json of {what} is not valid JSON: {e}") from e
        entry = self._select(entries, ref)
        config_name, layers = entry.get("Config"), entry.get("Layers") or []
        if not isinstance(config_name, str) or not all(isinstance(n, str) for n in layers):
            raise ImageError(f"manifest.json of {what} is malformed")
        config = files.read(config_name)
        ids = diff_ids(config)
        if len(ids) != len(layers):
            raise ImageError(f"{what}: config lists {len(ids)} layers, manifest.json {len(layers)}")
        config_digest = f"sha256:{hashlib.sha256(config).hexdigest()}"
        self._names: dict[str, str] = {config_digest: config_name,
                                       **dict(zip(ids, layers, strict=True))}
        self._manifest = json.dumps({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": config_digest},
            "layers": [{"mediaType": DOCKER_LAYER, "size": files.size(name), "digest": diff_id}
                       for diff_id, name in zip(ids, layers, strict=True)],
        }, sort_keys=True).encode()

    def _select(self, entries: object, ref: str | None) -> dict[str, Any]:
        if not isinstance(entries, list) or not entries:
            raise ImageError(f"{self._what} has no images in manifest.json")
        if ref is None:
            if len(entries) > 1:
                raise ImageError(f"{self._what} holds {len(entries)} images",
                                 hint="add :NAME:TAG to the reference")
            return dict(entries[0])
        wanted = str(parse_registry_reference(ref))
        for entry in entries:
            if any(str(parse_registry_reference(t)) == wanted for t in entry.get("RepoTags") or []):
                return dict(entry)
        raise ImageError(f"{self._what} has no image named {ref!r}")

    def manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        return self._manifest, DOCKER_MANIFEST

    def fetch(self, desc: Descriptor, progress: Callable[[int], None] | None) -> None:
        pass

    def open_blob(self, desc: Descriptor) -> AbstractContextManager[BinaryIO]:
        return self._files.open(self._names[desc.digest])

    def close(self) -> None:
        self._files.close()
