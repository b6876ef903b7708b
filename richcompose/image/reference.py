"""Image references in skopeo's transport syntax, parsed into plain values.

`busybox`, `busybox:1.36`, `host:5000/team/app@sha256:…`, `docker://…` name a registry image;
`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` and `docker-archive:FILE[:REF]` name local ones.
Registry names follow the distribution project's normalisation (docker.io, library/, latest).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from richcompose.errors import ImageError, Location

DOCKER_HUB = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_DOMAIN_RE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


@dataclass(frozen=True)
class RegistryReference:
    """An image in a registry: `registry/repository` plus a tag or a digest (digest wins)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        """The host serving the distribution API (Docker Hub's differs from its name)."""
        return _DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def insecure(self) -> bool:
        """Loopback registries speak plain http, as docker treats them by default."""
        return is_loopback(self.registry)

    @property
    def manifest_ref(self) -> str:
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"


@dataclass(frozen=True)
class OciLayoutReference:
    """An OCI image layout directory; `tag` is its `org.opencontainers.image.ref.name`."""

    path: Path
    tag: str | None = None

    def __str__(self) -> str:
        return f"oci:{self.path}" + (f":{self.tag}" if self.tag else "")


@dataclass(frozen=True)
class OciArchiveReference:
    """A tar file holding an OCI image layout."""

    path: Path
    tag: str | None = None

    def __str__(self) -> str:
        return f"oci-archive:{self.path}" + (f":{self.tag}" if self.tag else "")


@dataclass(frozen=True)
class DockerArchiveReference:
    """`docker save` output; `ref` picks one of its RepoTags when it holds several images."""

    path: Path
    ref: str | None = None

    def __str__(self) -> str:
        return f"docker-archive:{self.path}" + (f":{self.ref}" if self.ref else "")


ImageReference = (RegistryReference | OciLayoutReference | OciArchiveReference
                  | DockerArchiveReference)


def parse_reference(text: str, *, base_dir: Path | None = None,
                    location: Location | None = None) -> ImageReference:
    """Parse one reference; relative paths of local transports resolve against `base_dir`."""
    for prefix, kind in (("oci:", OciLayoutReference), ("oci-archive:", OciArchiveReference),
                         ("docker-archive:", DockerArchiveReference)):
        if text.startswith(prefix):
            # skopeo splits path and tag at the first colon: paths cannot hold one.
            path_text, _, tag = text[len(prefix):].partition(":")
            if not path_text:
                raise ImageError(f"image reference {text!r} has no path", location=location,
                                 hint=f"write {prefix}PATH[:TAG]")
            path = Path(path_text)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            return kind(path, tag or None)
    if text.startswith("docker://"):
        text = text[len("docker://"):]
    elif "://" in text or text.partition(":")[0] in ("dir", "containers-storage", "docker-daemon"):
        raise ImageError(f"unsupported image transport in {text!r}", location=location,
                         hint="use a registry name, docker://, oci:, oci-archive: or "
                              "docker-archive:")
    return parse_registry_reference(text, location=location)


def parse_registry_reference(text: str, *, location: Location | None = None) -> RegistryReference:
    """Normalise a registry name as docker does: `busybox` → `docker.io/library/busybox:latest`."""
    rest, _, digest = text.partition("@")
    if digest and not _DIGEST_RE.match(digest):
        raise ImageError(f"invalid digest in image reference {text!r}", location=location,
                         hint="a digest is sha256: followed by 64 lowercase hex digits")
    tag: str | None = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1:]
        if not _TAG_RE.match(tag):
            raise ImageError(f"invalid tag {tag!r} in image reference {text!r}", location=location,
                             hint="a tag is up to 128 letters, digits, '_', '.' or '-'")
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, repository = first, remainder
        if not _DOMAIN_RE.match(registry):
            raise ImageError(f"invalid registry {registry!r} in image reference {text!r}",
                             location=location)
    else:
        registry, repository = DOCKER_HUB, rest
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not _REPOSITORY_RE.match(repository):
        raise ImageError(f"invalid repository name {repository!r} in image reference {text!r}",
                         location=location,
                         hint="repository names are lowercase letters, digits and separators")
    if digest:
        tag = None
    elif tag is None:
        tag = "latest"
    return RegistryReference(registry, repository, tag, digest or None)


def is_loopback(registry: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port."""
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
