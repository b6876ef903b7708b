"""Rendering bundles from values alone (no containers): a project from YAML text, a fake
image of plain directories, and a validator for the OCI runtime-spec schema."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from richcompose.bundle.render import Bundle, RenderContext, render_bundle
from richcompose.config.loader import LoadOptions, load_project
from richcompose.image.types import ImageConfig, ResolvedImage
from tests.conftest import REPO

SCHEMAS = REPO / "schemas" / "oci-runtime-spec"


@pytest.fixture(scope="session")
def validate_spec() -> Callable[[dict[str, Any]], None]:
    registry: Registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        registry = registry.with_resource(path.name, Resource.from_contents(
            json.loads(path.read_text()), default_specification=DRAFT4))
    schema = json.loads((SCHEMAS / "config-schema.json").read_text())
    validator = jsonschema.Draft4Validator(schema, registry=registry)

    def check(spec: dict[str, Any]) -> None:
        errors = sorted(validator.iter_errors(spec), key=str)
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return check


def image_dir(root: Path, files: dict[str, str | None]) -> Path:
    """A one-layer image: path → text (executable when it starts with #! or is a binary
    stand-in), or None for a symlink spec 'target' given as '-> target'."""
    for relative, content in files.items():
        path = root / relative.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is not None and content.startswith("-> "):
            path.symlink_to(content[3:])
            continue
        path.write_text(content or "")
        if content is None or content.startswith(("#!", "\x7fELF")):
            path.chmod(0o755)
    return root


@pytest.fixture
def busybox_like(tmp_path: Path) -> Path:
    return image_dir(tmp_path / "layer", {
        "/bin/busybox": "\x7fELF", "/bin/sh": "-> busybox", "/bin/sleep": "-> busybox",
        "/sbin/init": "-> ../bin/busybox",
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
        "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
    })


@pytest.fixture
def systemd_like(tmp_path: Path) -> Path:
    return image_dir(tmp_path / "sdlayer", {
        "/usr/bin/sh": "\x7fELF", "/bin": "-> usr/bin", "/usr/bin/sleep": "\x7fELF",
        "/lib": "-> usr/lib", "/usr/lib/systemd/systemd": "\x7fELF",
        "/sbin/init": "-> /lib/systemd/systemd",
    })


Render = Callable[..., Bundle]


@pytest.fixture
def render(tmp_path: Path, busybox_like: Path) -> Render:
    """render(yaml_service_body, layer=busybox_like) → the bundle of service `app`."""
    def run(service: str, layer: Path | None = None, **ctx: Any) -> Bundle:
        project_dir = tmp_path / "project"
        project_dir.mkdir(exist_ok=True)
        (project_dir / "compose.yaml").write_text(
            "services:\n  app:\n" + textwrap.indent(textwrap.dedent(service).strip(), "    ")
            + "\n    rootfs: ./rootfs\n")
        project = load_project(LoadOptions(files=(project_dir / "compose.yaml",),
                                           project_name="p", environ={},
                                           working_dir=project_dir))
        image = ResolvedImage("rootfs", (layer or busybox_like,), ImageConfig())
        return render_bundle(RenderContext(project=project, service_name="app",
                                           container_id="p-app-1", image=image,
                                           volumes_root=tmp_path / "volumes", host_env={},
                                           **ctx))
    return run
