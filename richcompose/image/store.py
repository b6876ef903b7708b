"""The image store: references in, stacks of read-only layer snapshots out.

`resolve` serves `image:` keys (pull policy as compose: always, missing, never), `resolve_rootfs`
serves `rootfs:` keys (a directory as is, or a tarball unpacked once, keyed by its digest).
`list_images`, `remove` and `prune` back `images`, `rmi` and `image prune`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from richcompose.errors import ImageError, Location
from richcompose.image.auth import find_credentials
from richcompose.image.content import ContentStore, digest_hex
from richcompose.image.index import Catalogue, ImageIndex, ImageRecord
from richcompose.image.limits import ImageLimits
from richcompose.image.manifest import (
    INDEX_TYPES,
    Descriptor,
    diff_ids,
    image_config,
    index_entries,
    media_type_of,
    parse_manifest,
    select_platform,
)
from richcompose.image.policy import parse_pull_policy
from richcompose.image.reference import (
    DockerArchiveReference,
    ImageReference,
    OciArchiveReference,
    OciLayoutReference,
    RegistryReference,
    parse_reference,
    parse_registry_reference,
)
from richcompose.image.registries import Endpoint, RegistriesConf
from richcompose.image.sources import (
    DirFiles,
    DockerArchiveSource,
    ImageSource,
    OciLayoutSource,
    RegistrySource,
    TarFiles,
    verified,
)
from richcompose.image.types import (
    ImageConfig,
    ImageSummary,
    LayerEvent,
    Progress,
    ResolvedImage,
)
from richcompose.image.unpack import unpack_layer

if TYPE_CHECKING:
    import httpx

PARALLEL_DOWNLOADS = 3
TARBALL_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst")


class ImageStore:
    """Content-addressed image store under `<state root>/images`.

    `registries` says where names are pulled from (registries.conf); `env` is the environment
    consulted for registry credentials (auth files, credential helpers on its PATH); `transport`
    is an httpx transport for tests.
    """

    def __init__(self, root: Path, *, transport: httpx.BaseTransport | None = None,
                 env: Mapping[str, str] | None = None,
                 registries: RegistriesConf | None = None,
                 limits: ImageLimits | None = None) -> None:
        self.root = root
        self.limits = limits or ImageLimits()
        self.content = ContentStore(root)
        self._index = ImageIndex(root)
        self._transport = transport
        # where registry credentials are looked up (auth files, helpers): the caller's, never
        # this process's own
        self._env: Mapping[str, str] = env if env is not None else {}
        self.registries = registries or RegistriesConf()

    # -- rootfs: ---------------------------------------------------------------------------------

    def resolve_rootfs(self, path: Path, *, location: Location | None = None,
                       progress: Progress | None = None) -> ResolvedImage:
        """A root filesystem directory (used as is) or tarball (unpacked once) as one layer."""
        if path.is_dir():
            return ResolvedImage.of_directory(path)
        if path.is_file() and path.name.endswith(TARBALL_SUFFIXES):
            with _located(location):
                return self._rootfs_tarball(path.resolve(), progress)
        raise ImageError(
            f"rootfs {str(path)!r} is neither a directory nor a tarball",
            location=location,
            hint="point rootfs: at a root filesystem directory or a .tar, .tar.gz or .tar.zst",
        )

    def _rootfs_tarball(self, path: Path, progress: Progress | None) -> ResolvedImage:
        st = path.stat()
        cache_key = f"{path}|{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}"
        key = f"rootfs:{path}"
        digest = self._index.read().tarball_digests.get(cache_key)
        if digest is not None:
            size = self._unpack_once(key, Descriptor("", digest, st.st_size, {}), [],
                                     lambda: path.open("rb"), progress, whiteouts=False)
        else:
            # First sight of this tarball: hash it while unpacking, one read instead of two.
            digest, size = self._unpack_tarball(key, path, st.st_size, progress)
        with self._index.update() as cat:
            for old in [k for k in cat.tarball_digests if k.startswith(f"{path}|")]:
                del cat.tarball_digests[old]
            cat.tarball_digests[cache_key] = digest
            cat.snapshot_sizes[digest] = size
            previous = cat.images.get(key)
            created = previous.created if previous and previous.digest == digest else _now()
            cat.images[key] = ImageRecord(key, digest, [digest], size=size, created=created)
        return ResolvedImage(reference=key, layers=(self.content.snapshot_path(digest),),
                             digest=digest)

    def _unpack_tarball(self, key: str, path: Path, total: int,
                        progress: Progress | None) -> tuple[str, int]:
        layer = Descriptor("", path.name, total, {})  # its digest is known only once read
        read = 0

        def on_bytes(n: int) -> None:
            nonlocal read
            read += n
            _emit(progress, key, layer, "extracting", read)

        with self.content.new_snapshot(None) as draft, path.open("rb") as blob:
            result = unpack_layer(blob, draft.path, name=str(path), whiteouts=False,
                                  on_bytes=on_bytes)
            draft.key = result.blob_digest
        _emit(progress, key, layer, "done", total)
        return result.blob_digest, result.size

    # -- image: ----------------------------------------------------------------------------------

    def resolve(self, reference: str, *, pull: str = "missing", location: Location | None = None,
                base_dir: Path | None = None, progress: Progress | None = None) -> ResolvedImage:
        """The image for `reference`, pulled according to `pull` (always, missing, never).

        Local transports (oci:, oci-archive:, docker-archive:) are read on every call: it costs
        no download, and a rebuilt layout is picked up; unchanged layers are not unpacked again.
        """
        policy = parse_pull_policy(pull, location=location)
        with _located(location):
            ref = parse_reference(reference, base_dir=base_dir or Path.cwd())
            if not isinstance(ref, RegistryReference):
                return self._pull(ref, progress)
            candidates = self.registries.candidates(reference)
            if policy.kind != "always":
                now = datetime.now(UTC)
                # A name docker would read as docker.io/... (a built image's) counts as stored.
                for candidate in dict.fromkeys([ref, *candidates]):
                    record = self._index.read().images.get(str(candidate))
                    stored = self._stored(str(candidate))
                    if stored is not None and record is not None and not policy.stale(
                            record.pulled or record.created, now):
                        return stored
                if policy.kind == "never":
                    raise ImageError(f"image {ref} is not in the store and pull is 'never'",
                                     hint="pull it first, or use --pull missing")
            return self._pull_registry(candidates, progress)

    def _pull_registry(self, candidates: Sequence[RegistryReference],
                       progress: Progress | None) -> ResolvedImage:
        """Each candidate name in turn, each from its mirrors then its registry: the first that
        serves it wins; if none does, every attempt is in the error."""
        failures: list[tuple[str, ImageError]] = []
        for candidate in candidates:
            for endpoint in self.registries.endpoints(candidate):
                try:
                    resolved = self._pull(candidate, progress, endpoint=endpoint)
                except ImageError as e:
                    failures.append((str(endpoint.ref), e))
                    continue
                served = f"{endpoint.ref} (mirror)" if endpoint.mirror else str(endpoint.ref)
                return replace(resolved, served_by=served)
        if len(failures) == 1:
            raise failures[0][1]
        raise ImageError(f"cannot pull {candidates[0]}: " + "; ".join(
            f"{where}: {e.message}" for where, e in failures), hint=failures[-1][1].hint)

    def has(self, reference: str, *, base_dir: Path | None = None) -> bool:
        """Whether a registry-named image is in the store (a build is skipped when it is)."""
        try:
            ref = parse_reference(reference, base_dir=base_dir or Path.cwd())
        except ImageError:
            return False
        return self._stored(str(ref)) is not None

    def record(self, reference: str) -> ImageRecord | None:
        return self._index.read().images.get(_canonical(reference))

    def pull(self, reference: str, *, location: Location | None = None,
             base_dir: Path | None = None, progress: Progress | None = None) -> ResolvedImage:
        """Fetch the current manifest of `reference`; download and unpack only what is missing."""
        return self.resolve(reference, pull="always", location=location, base_dir=base_dir,
                            progress=progress)

    def _stored(self, key: str) -> ResolvedImage | None:
        record = self._index.read().images.get(key)
        if record is None or not all(self.content.has_snapshot(s) for s in record.snapshots):
            return None
        return self._resolved(record)

    def _resolved(self, record: ImageRecord) -> ResolvedImage:
        config = (image_config(self.content.read_blob(record.config)) if record.config
                  else ImageConfig())
        layers = tuple(self.content.snapshot_path(s) for s in reversed(record.snapshots))
        return ResolvedImage(reference=record.reference, layers=layers, config=config,
                             digest=record.digest)

    def _pull(self, ref: ImageReference, progress: Progress | None, *,
              endpoint: Endpoint | None = None,
              keys: Sequence[str] = ()) -> ResolvedImage:
        key = str(ref)
        source = self._open_source(ref, endpoint)
        try:
            raw, header = source.manifest()
            if media_type_of(raw, header) in INDEX_TYPES:
                entry = select_platform(index_entries(raw), key)
                raw, header = source.manifest(entry.digest)
                verified(raw, entry.digest, f"manifest of {key}")
                if media_type_of(raw, header) in INDEX_TYPES:
                    raise ImageError(f"{key}: nested image indexes are not supported")
            if len(raw) > self.limits.manifest_bytes:
                raise ImageError(f"manifest of {key} is {len(raw)} bytes, more than the "
                                 f"{self.limits.manifest_bytes} allowed; refused")
            manifest = parse_manifest(raw)
            for layer in manifest.layers:
                if layer.size > self.limits.layer_compressed_bytes:
                    raise ImageError(f"layer {layer.digest[:19]} of {key} is {layer.size} bytes, "
                                     f"more than the {self.limits.layer_compressed_bytes} "
                                     "allowed; refused", hint="raise ImageLimits."
                                     "layer_compressed_bytes if the image is trusted")
            manifest_digest = self.content.put_blob(raw)
            config = self._config_blob(source, manifest.config)
            ids = diff_ids(config)
            if len(ids) != len(manifest.layers):
                raise ImageError(f"{key}: the config lists {len(ids)} layers, the manifest "
                                 f"{len(manifest.layers)}")
            # Downloads run in parallel (as docker's 3); layers unpack in order as they arrive.
            pool = ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS)
            try:
                fetched: dict[str, Future[None]] = {}
                for layer, diff_id in zip(manifest.layers, ids, strict=True):
                    if layer.digest not in fetched and not self.content.has_snapshot(diff_id):
                        fetched[layer.digest] = pool.submit(
                            source.fetch, layer,
                            partial(_emit, progress, key, layer, "downloading"))
                sizes = []
                for i, (layer, diff_id) in enumerate(zip(manifest.layers, ids, strict=True)):
                    opener = partial(source.open_blob, layer)
                    sizes.append(self._unpack_once(key, layer, ids[:i], opener, progress,
                                                   diff_id=diff_id,
                                                   fetched=fetched.get(layer.digest)))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            source.close()
        blobs = [manifest_digest, manifest.config.digest] + [
            layer.digest for layer in manifest.layers if self.content.has_blob(layer.digest)]
        with self._index.update() as cat:
            for name in keys or (key,):
                previous = cat.images.get(name)
                # Re-reading an unchanged local image must not make it look freshly pulled.
                created = previous.created if previous and previous.digest == manifest_digest \
                    else _now()
                record = ImageRecord(name, manifest_digest, ids, blobs, manifest.config.digest,
                                     sum(sizes), created,
                                     _now() if isinstance(ref, RegistryReference) else "")
                cat.images[name] = record
            cat.snapshot_sizes.update(zip(ids, sizes, strict=True))
        return self._resolved(record)

    def _open_source(self, ref: ImageReference, endpoint: Endpoint | None = None) -> ImageSource:
        if isinstance(ref, RegistryReference):
            where = endpoint or Endpoint(ref, ref.insecure, mirror=False)
            creds = find_credentials(where.ref.registry, where.ref.repository, self._env)
            # httpx comes in with the first pull, not with every command that has a store.
            from richcompose.image.registry import RegistryClient

            client = RegistryClient(where.ref, credentials=creds, transport=self._transport,
                                    insecure=where.insecure, limits=self.limits)
            return RegistrySource(client, self.content)
        if isinstance(ref, OciLayoutReference):
            return OciLayoutSource(DirFiles(ref.path), ref.tag, str(ref))
        if isinstance(ref, OciArchiveReference):
            return OciLayoutSource(TarFiles(ref.path), ref.tag, str(ref))
        assert isinstance(ref, DockerArchiveReference)
        return DockerArchiveSource(TarFiles(ref.path), ref.ref, str(ref))

    def _config_blob(self, source: ImageSource, desc: Descriptor) -> bytes:
        if self.content.has_blob(desc.digest):
            return self.content.read_blob(desc.digest)
        limit = self.limits.config_bytes
        if desc.size > limit:
            raise ImageError(f"image config {desc.digest[:19]} is {desc.size} bytes, more than "
                             f"the {limit} allowed; refused")
        with source.open_blob(desc) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ImageError(f"image config {desc.digest[:19]} is larger than {limit} bytes; "
                             "refused")
        self.content.put_blob(data, desc.digest)
        return data

    def _unpack_once(self, image: str, layer: Descriptor, below: Sequence[str],
                     opener: Callable[[], AbstractContextManager[BinaryIO]],
                     progress: Progress | None, *, diff_id: str | None = None,
                     whiteouts: bool = True, fetched: Future[None] | None = None) -> int:
        """Unpack one layer into its snapshot unless it is already there; its content size."""
        key = diff_id or layer.digest
        total = layer.size if layer.size >= 0 else None
        emit = partial(_emit, progress, image, layer)
        if self.content.has_snapshot(key):
            emit("present", total or 0)
            return self._index.read().snapshot_sizes.get(key, 0)
        if fetched is not None:
            fetched.result()
        read = 0

        def on_bytes(n: int) -> None:
            nonlocal read
            read += n
            emit("extracting", read)

        lowers = [self.content.snapshot_path(s) for s in reversed(below)]
        with self.content.new_snapshot(key) as draft, opener() as blob:
            result = unpack_layer(blob, draft.path, name=f"{layer.digest[:19]} of {image}",
                                  limits=self.limits,
                                  lowers=lowers, whiteouts=whiteouts, blob_digest=layer.digest,
                                  on_bytes=on_bytes)
            if diff_id is not None and result.diff_id != diff_id:
                raise ImageError(f"layer {layer.digest} of {image} unpacks to {result.diff_id}, "
                                 f"but the config says {diff_id}",
                                 hint="the image is corrupt or tampered with")
        emit("done", total or read)
        return result.size

    # -- built images ----------------------------------------------------------------------------

    def add_layout(self, layout: Path, tag: str, names: Sequence[str]) -> ResolvedImage:
        """Adopt an OCI layout written by the builder under `names` (registry names). Its blobs
        are hard-linked into the store and kept, so the image can be pushed and built on."""
        self.content.adopt_blobs(layout / "blobs" / "sha256")
        keys = [str(parse_registry_reference(n)) for n in names]
        return self._pull(OciLayoutReference(layout, tag), None, keys=keys)

    def export_dir(self, reference: str, directory: Path) -> bool:
        """Write `reference` in the containers `dir:` format (manifest.json plus blobs named by
        hex digest, hard links to the store's) for a builder to read — it takes docker-format
        manifests, which an OCI layout's reader skips. False when the layer blobs are not kept
        (an image from a local transport)."""
        record = self.record(reference)
        if record is None or record.config is None:
            return False
        raw = self.content.read_blob(record.digest)
        wanted = [record.config] + [layer.digest for layer in parse_manifest(raw).layers]
        if not all(self.content.has_blob(d) for d in wanted):
            return False
        directory.mkdir(parents=True, exist_ok=True)
        for digest in wanted:
            target = directory / digest_hex(digest)
            if not target.exists():
                os.link(self.content.blob_path(digest), target)
        (directory / "manifest.json").write_bytes(raw)
        (directory / "version").write_text("Directory Transport Version: 1.1\n")
        return True

    # -- images, rmi, image prune ----------------------------------------------------------------

    def list_images(self) -> list[ImageSummary]:
        return [_summary(rec) for _, rec in sorted(self._index.read().images.items())]

    def remove(self, reference: str, *, in_use: Collection[str] = ()) -> list[ImageSummary]:
        """Forget `reference` (a name, a local transport reference, `rootfs:PATH` or a digest)
        and delete the blobs and snapshots no other image needs. Refused while in use."""
        wanted = _canonical(reference)
        used = {_canonical(u) for u in in_use}
        with self._index.update() as cat:
            matches = [r for r in cat.images.values() if wanted in (r.reference, r.digest)]
            if not matches:
                raise ImageError(f"no such image: {reference}",
                                 hint="`richcompose images` lists the stored images")
            for record in matches:
                if record.reference in used or record.digest in used:
                    raise ImageError(f"image {record.reference} is used by a container",
                                     hint="remove the container first (richcompose down)")
            for record in matches:
                del cat.images[record.reference]
            self._collect(cat)
        return [_summary(r) for r in matches]

    def prune(self, in_use: Collection[str]) -> list[ImageSummary]:
        """Remove every image not in `in_use` (references or digests), and any leftovers."""
        used = {_canonical(u) for u in in_use}
        with self._index.update() as cat:
            removed = [r for r in cat.images.values()
                       if r.reference not in used and r.digest not in used]
            for record in removed:
                del cat.images[record.reference]
            self._collect(cat)
        return [_summary(r) for r in removed]

    def _collect(self, cat: Catalogue) -> None:
        blobs = {b for r in cat.images.values() for b in r.blobs}
        snapshots = {s for r in cat.images.values() for s in r.snapshots}
        self.content.remove_unreferenced(blobs, snapshots)
        cat.snapshot_sizes = {k: v for k, v in cat.snapshot_sizes.items() if k in snapshots}
        kept = {r.digest for r in cat.images.values()}
        cat.tarball_digests = {k: v for k, v in cat.tarball_digests.items() if v in kept}


def _emit(progress: Progress | None, image: str, layer: Descriptor, phase: str,
          current: int) -> None:
    if progress is not None:
        progress(LayerEvent(image, layer.digest, phase, current,
                            layer.size if layer.size >= 0 else None))


def _canonical(text: str) -> str:
    """The index key a user's spelling of an image stands for."""
    if text.startswith("rootfs:"):
        return f"rootfs:{Path(text[len('rootfs:'):]).resolve()}"
    if text.startswith("sha256:"):
        return text
    try:
        return str(parse_reference(text, base_dir=Path.cwd()))
    except ImageError:
        return text


def _summary(record: ImageRecord) -> ImageSummary:
    return ImageSummary(record.reference, record.digest, record.size, record.created)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _located(location: Location | None) -> Iterator[None]:
    """Give errors raised deep in the stage the project-file location of the image key."""
    try:
        yield
    except ImageError as e:
        if location is None or e.location is not None:
            raise
        raise ImageError(e.message, location=location, hint=e.hint) from e
