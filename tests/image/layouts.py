"""Builders for test fixtures: tarballs entry by entry, and OCI image layouts written by hand."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard


def entry(name: str, kind: bytes = tarfile.REGTYPE, *, data: bytes = b"", linkname: str = "",
          mode: int = 0o644, uid: int = 0, gid: int = 0, mtime: int = 1_700_000_000,
          devmajor: int = 0, devminor: int = 0,
          xattrs: dict[str, str] | None = None) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid, info.mtime = uid, gid, mtime
    info.linkname = linkname
    info.devmajor, info.devminor = devmajor, devminor
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if xattrs:
        info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in xattrs.items()}
    return info, data


def make_tar(*entries: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def tar_of_dir(root: Path) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(root, arcname=".")
    return out.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, compresslevel=1)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


APP_CONFIG: dict[str, Any] = {
    "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"], "Env": ["A=1"], "WorkingDir": "/srv",
    "User": "1000:1000", "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGTERM",
    "Labels": {"team": "db"}, "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000_000}}

_LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
                "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
                "none": "application/vnd.oci.image.layer.v1.tar"}


@dataclass
class OciImage:
    """An image to write into a layout: uncompressed layer tars, bottom first."""

    layers: list[bytes]
    config: dict[str, Any] = field(default_factory=dict)
    compression: str = "gzip"
    architecture: str = "amd64"


def write_blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = sha256(data)
    path = layout / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def write_manifest(layout: Path, image: OciImage) -> dict[str, Any]:
    """Write config, layers and manifest blobs; the manifest's descriptor."""
    config = {"architecture": image.architecture, "os": "linux", "config": image.config,
              "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in image.layers]},
              # as real images have: builders (buildah) check it against the layers
              "history": [{"created_by": f"layer {i}"} for i in range(len(image.layers))]}
    layers = [{"mediaType": _LAYER_TYPES[image.compression],
               **write_blob(layout, compress(t, image.compression))} for t in image.layers]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           **write_blob(layout, json.dumps(config).encode())},
                "layers": layers}
    return {"mediaType": manifest["mediaType"],
            **write_blob(layout, json.dumps(manifest).encode())}


def write_oci_layout(layout: Path, images: dict[str, OciImage]) -> dict[str, str]:
    """An OCI image layout holding `images` by tag; returns tag → manifest digest."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    entries, digests = [], {}
    for tag, image in images.items():
        desc = write_manifest(layout, image)
        desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
        entries.append(desc)
        digests[tag] = desc["digest"]
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": entries}))
    return digests


def write_multiarch_layout(layout: Path, tag: str, images: dict[str, OciImage]) -> str:
    """A layout whose tag names an image index with one manifest per architecture."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    manifests = []
    for arch, image in images.items():
        image.architecture = arch
        desc = write_manifest(layout, image)
        desc["platform"] = {"os": "linux", "architecture": arch}
        manifests.append(desc)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": manifests}
    desc = {"mediaType": index["mediaType"], **write_blob(layout, json.dumps(index).encode()),
            "annotations": {"org.opencontainers.image.ref.name": tag}}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    return str(desc["digest"])


def push(layout: Path, tag: str, destination: str, *, all_images: bool = False) -> None:
    """Push with skopeo to a plain-http registry (`host:port/name:tag`)."""
    subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                    *(["--all"] if all_images else []),
                    f"oci:{layout}:{tag}", f"docker://{destination}"], check=True)
