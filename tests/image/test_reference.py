"""Image references are parsed as skopeo and docker spell them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from richcompose.errors import ImageError
from richcompose.image.reference import (
    DockerArchiveReference,
    OciArchiveReference,
    OciLayoutReference,
    RegistryReference,
    parse_reference,
)

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("text", "expected"), [
    ("busybox", RegistryReference("docker.io", "library/busybox", "latest")),
    ("busybox:1.36", RegistryReference("docker.io", "library/busybox", "1.36")),
    ("team/app", RegistryReference("docker.io", "team/app", "latest")),
    ("docker.io/busybox", RegistryReference("docker.io", "library/busybox", "latest")),
    ("index.docker.io/library/busybox", RegistryReference("docker.io", "library/busybox",
                                                          "latest")),
    ("docker://busybox:1.36", RegistryReference("docker.io", "library/busybox", "1.36")),
    ("registry.example.com:5000/team/app:v2",
     RegistryReference("registry.example.com:5000", "team/app", "v2")),
    ("localhost/app", RegistryReference("localhost", "app", "latest")),
    ("127.0.0.1:5000/app", RegistryReference("127.0.0.1:5000", "app", "latest")),
    (f"registry.example.com:5000/team/app@{DIGEST}",
     RegistryReference("registry.example.com:5000", "team/app", None, DIGEST)),
    (f"busybox:1.36@{DIGEST}", RegistryReference("docker.io", "library/busybox", None, DIGEST)),
])
def test_registry_names_are_normalised_like_docker(text: str, expected: RegistryReference) -> None:
    assert parse_reference(text) == expected


def test_registry_reference_prints_canonically() -> None:
    assert str(parse_reference("busybox")) == "docker.io/library/busybox:latest"
    assert str(parse_reference(f"app@{DIGEST}")) == f"docker.io/library/app@{DIGEST}"


def test_docker_hub_is_served_by_registry_1() -> None:
    ref = parse_reference("busybox")
    assert isinstance(ref, RegistryReference)
    assert ref.api_host == "registry-1.docker.io"


@pytest.mark.parametrize(("registry", "insecure"), [
    ("127.0.0.1:5000", True), ("localhost:5000", True), ("localhost", True),
    ("127.1.2.3", True), ("[::1]:5000", True), ("registry.example.com", False),
    ("docker.io", False), ("10.0.0.1:5000", False),
])
def test_only_loopback_registries_use_plain_http(registry: str, insecure: bool) -> None:
    assert RegistryReference(registry, "app").insecure is insecure


@pytest.mark.parametrize("text", [
    "Busybox", "busybox:", "busybox:-bad", "busybox@sha256:short", "busybox@md5:" + "a" * 32,
    "a//b", "host:5000/", "docker-daemon:busybox", "dir:/tmp/x", "https://example.com/app",
])
def test_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(ImageError):
        parse_reference(text)


def test_oci_layout_with_and_without_tag(tmp_path: Path) -> None:
    assert parse_reference("oci:/srv/layout:v1") == OciLayoutReference(Path("/srv/layout"), "v1")
    assert parse_reference("oci:/srv/layout") == OciLayoutReference(Path("/srv/layout"))


def test_archives_are_recognised() -> None:
    assert parse_reference("oci-archive:/x/img.tar:v1") == OciArchiveReference(
        Path("/x/img.tar"), "v1")
    assert parse_reference("docker-archive:/x/img.tar") == DockerArchiveReference(
        Path("/x/img.tar"))
    assert parse_reference("docker-archive:/x/img.tar:app:v1") == DockerArchiveReference(
        Path("/x/img.tar"), "app:v1")


def test_relative_local_paths_resolve_against_the_base_dir() -> None:
    ref = parse_reference("oci:images/app:v1", base_dir=Path("/project"))
    assert ref == OciLayoutReference(Path("/project/images/app"), "v1")


def test_local_transport_without_path_is_refused() -> None:
    with pytest.raises(ImageError, match="no path"):
        parse_reference("oci:")

_components = st.from_regex(r"[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6}){0,2}", fullmatch=True)
_registries = st.sampled_from(["docker.io", "127.0.0.1:5000", "registry.example.com",
                               "localhost:8080", "ghcr.io"])
_tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digests = st.from_regex(r"sha256:[a-f0-9]{64}", fullmatch=True)


@given(registry=_registries, path=st.lists(_components, min_size=1, max_size=3),
       tag=_tags, digest=st.one_of(st.none(), _digests))
def test_canonical_form_parses_back_to_the_same_reference(
        registry: str, path: list[str], tag: str, digest: str | None) -> None:
    repository = "/".join(path)
    if registry == "docker.io" and len(path) == 1:
        repository = f"library/{repository}"
    ref = RegistryReference(registry, repository, None if digest else tag, digest)
    assert parse_reference(str(ref)) == ref
    assert parse_reference(f"docker://{ref}") == ref
