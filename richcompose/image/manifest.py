"""OCI and docker schema 2 manifests, indexes and image configs, parsed into plain values."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from typing import Any

from richcompose.errors import ImageError
from richcompose.image.types import ImageConfig

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64"}


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str]
    platform: dict[str, Any] | None = None


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]


def host_platform() -> tuple[str, str]:
    """(os, architecture) in OCI terms for this machine, e.g. ("linux", "amd64")."""
    machine = platform.machine()
    return "linux", _ARCH.get(machine, machine)


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as e:
        raise ImageError(f"{what} is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a JSON object")
    return value


def media_type_of(data: bytes, header: str | None = None) -> str:
    """The manifest's own mediaType, else the transport's Content-Type, else sniffed by shape."""
    doc = load_json(data, "manifest")
    declared = doc.get("mediaType") or (header or "").split(";")[0].strip()
    if declared in INDEX_TYPES or declared in MANIFEST_TYPES:
        return str(declared)
    if doc.get("schemaVersion") == 1:
        raise ImageError("docker schema 1 manifests are not supported",
                         hint="re-push the image with a current client (schema 2 / OCI)")
    if "manifests" in doc:
        return OCI_INDEX
    if "layers" in doc and "config" in doc:
        return OCI_MANIFEST
    raise ImageError(f"unsupported manifest media type {declared!r}")


_MAX_SIZE = (1 << 63) - 1  # OCI descriptors' size is an int64


def descriptor(raw: Any, what: str) -> Descriptor:
    if not isinstance(raw, dict) or not isinstance(raw.get("digest"), str):
        raise ImageError(f"{what} is not a valid descriptor")
    size = raw.get("size", -1)
    if "size" in raw and (not isinstance(size, int) or isinstance(size, bool)
                          or not 0 <= size <= _MAX_SIZE):
        raise ImageError(f"{what} {raw['digest'][:80]!r} has the invalid size {size!r}",
                         hint="a descriptor's size is a byte count (0..2^63-1)")
    return Descriptor(media_type=str(raw.get("mediaType", "")), digest=raw["digest"], size=size,
                      annotations=_string_map(raw.get("annotations"), f"{what} annotations"),
                      platform=_object(raw.get("platform"), f"{what} platform") or None)


def index_entries(data: bytes) -> list[Descriptor]:
    doc = load_json(data, "image index")
    return [descriptor(m, "image index entry") for m in doc.get("manifests") or []]


def select_platform(entries: list[Descriptor], what: str) -> Descriptor:
    """The index entry for this machine's platform (linux/amd64 here)."""
    want_os, want_arch = host_platform()
    for entry in entries:
        p = entry.platform or {}
        if p.get("os") == want_os and p.get("architecture") == want_arch:
            return entry
    offered = sorted({f"{(e.platform or {}).get('os')}/{(e.platform or {}).get('architecture')}"
                      for e in entries})
    raise ImageError(f"{what} has no image for {want_os}/{want_arch}",
                     hint=f"it offers {', '.join(offered) or 'no platforms'}")


def parse_manifest(data: bytes) -> Manifest:
    doc = load_json(data, "image manifest")
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise ImageError("image manifest has no layers list")
    return Manifest(config=descriptor(doc.get("config"), "manifest config"),
                    layers=tuple(descriptor(layer, "manifest layer") for layer in layers))


def diff_ids(config: bytes) -> list[str]:
    doc = load_json(config, "image config")
    rootfs = _object(doc.get("rootfs"), "image config's rootfs")
    ids = rootfs.get("diff_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ImageError("image config has no rootfs.diff_ids list")
    return list(ids)


def image_config(config: bytes) -> ImageConfig:
    """Docker/OCI `config` section → the defaults a service inherits."""
    doc = load_json(config, "image config")
    c = _object(doc.get("config"), "image config's config")
    stop_signal = c.get("StopSignal")
    if stop_signal is not None and not isinstance(stop_signal, str):
        raise ImageError(f"image config's StopSignal is {stop_signal!r}, not a string")
    return ImageConfig(
        entrypoint=_strings(c.get("Entrypoint"), "Entrypoint"),
        cmd=_strings(c.get("Cmd"), "Cmd"),
        env=_strings(c.get("Env"), "Env") or [],
        working_dir=_scalar(c.get("WorkingDir"), "WorkingDir"),
        user=_scalar(c.get("User"), "User"),
        exposed_ports=sorted(_object(c.get("ExposedPorts"), "image config's ExposedPorts")),
        stop_signal=stop_signal or None,
        healthcheck=_object(c.get("Healthcheck"), "image config's Healthcheck") or None,
        labels=_string_map(c.get("Labels"), "image config's Labels"),
    )


# Image configs come from anyone: each field must have the shape docker's Go types give it
# (docker itself refuses to decode others), else a one-line error rather than a traceback.

def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImageError(f"{what} is a {type(value).__name__}, not an object",
                         hint="the image was built wrongly; docker refuses it too")
    return value


def _string_map(value: Any, what: str) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else json.dumps(v)
            for k, v in _object(value, what).items()}


def _scalar(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ImageError(f"image config's {what} is a {type(value).__name__}, not a string")
    return str(value)


def _strings(value: Any, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ImageError(f"image config's {what} is not a list of strings")
    return [str(v) for v in value]
