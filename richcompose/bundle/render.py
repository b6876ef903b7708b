"""(service, image) → OCI bundle: the list of spec options for a service, and writing it out.

Rendering uses values only (no containers, no mounts), so `richcompose render` can write bundles
for inspection and every rendered config.json can be checked against the runtime-spec schema.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.bundle import rich
from richcompose.bundle.process import environment, process_args, resolve_user
from richcompose.bundle.spec import (
    Spec,
    SpecOption,
    bind_mount,
    build_spec,
    with_annotations,
    with_cgroups_path,
    with_cwd,
    with_env,
    with_hostname,
    with_mounts,
    with_namespace_path,
    with_process_args,
    with_root,
    with_user,
)
from richcompose.config.models import Project, Service
from richcompose.errors import BundleError
from richcompose.image.types import ResolvedImage


@dataclass(frozen=True)
class RenderContext:
    """Everything besides the service that decides its bundle."""

    project: Project
    service_name: str
    container_id: str
    image: ResolvedImage
    volumes_root: Path  # named volumes live at volumes_root/<project>_<name>
    dumb_init: str = "/usr/local/libexec/richcompose/dumb-init"
    netns_path: str | None = None
    host_network: bool = False  # network_mode: host — no network namespace of its own
    host_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    extra_mounts: tuple[Mapping[str, Any], ...] = ()

    @property
    def service(self) -> Service:
        return self.project.services[self.service_name]


def spec_options(ctx: RenderContext) -> list[SpecOption]:
    service = ctx.service
    location = ctx.project.locate(("services", ctx.service_name))
    image_config = ctx.image.config
    env = environment(service, image_config, ctx.host_env)
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    hostname = service.hostname or ctx.service_name
    env.setdefault("HOSTNAME", hostname)
    uid, gid = resolve_user(service.user or image_config.user, ctx.image.layers, location)
    options: list[SpecOption] = [
        with_root("rootfs", readonly=service.read_only),
        with_process_args(process_args(service, image_config)),
        with_env(env),
        with_cwd(service.working_dir or image_config.working_dir or "/"),
        with_user(uid, gid),
        with_hostname(hostname),
        with_cgroups_path(f"/richcompose/{ctx.container_id}"),
        with_mounts(volume_mounts(ctx)),
        with_mounts(ctx.extra_mounts),
        with_annotations({"org.richcompose.project": ctx.project.name,
                          "org.richcompose.service": ctx.service_name}),
    ]
    if ctx.host_network or ctx.netns_path is not None:
        options.append(with_namespace_path("network", None if ctx.host_network
                                           else ctx.netns_path))
    options += rich_options(ctx)
    return options


def rich_options(ctx: RenderContext) -> list[SpecOption]:
    service = ctx.service
    mode = service.effective_rich_mode
    if mode is None:
        return []
    if mode != "dumb-init":
        raise BundleError(f"rich_mode {mode!r} is not available yet",
                          location=ctx.project.locate(("services", ctx.service_name, "rich_mode")),
                          hint="use rich_mode: dumb-init")
    check_initscript(ctx)
    return [rich.with_dumb_init(ctx.dumb_init),
            *rich.init_hooks(service.initcmd, service.initscript,
                             timeout=service.initscript_timeout)]


def check_initscript(ctx: RenderContext) -> None:
    """An initscript must exist in the container's filesystem before anything starts."""
    path = ctx.service.initscript
    if not path:
        return
    location = ctx.project.locate(("services", ctx.service_name, "initscript"))
    if not path.startswith("/"):
        raise BundleError(f"initscript {path!r} is not an absolute path in the container",
                          location=location, hint="write the path as the container sees it, e.g. /init.sh")
    for host_dir, target in _volume_sources(ctx):
        if path == target or path.startswith(target.rstrip("/") + "/"):
            candidate = host_dir / os.path.relpath(path, target)
            if candidate.exists():
                return
    for layer in ctx.image.layers:
        candidate = layer / path.lstrip("/")
        if candidate.exists() or candidate.is_symlink():
            return
    raise BundleError(f"initscript {path} not found in service {ctx.service_name!r}'s filesystem",
                      location=location,
                      hint="add it to the image or rootfs, or mount it with volumes:")


def _volume_sources(ctx: RenderContext) -> list[tuple[Path, str]]:
    return [(Path(m["source"]), str(m["destination"])) for m in volume_mounts(ctx)
            if m.get("type") == "bind"]


def volume_mounts(ctx: RenderContext) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = []
    project_dir = Path(ctx.project.directory)
    for volume in ctx.service.volumes:
        if volume.type == "tmpfs":
            options = ["nosuid", "nodev"]
            if volume.tmpfs and volume.tmpfs.size:
                options.append(f"size={volume.tmpfs.size}")
            mounts.append({"destination": volume.target, "type": "tmpfs", "source": "tmpfs",
                           "options": options})
            continue
        if volume.type == "bind":
            source = Path(os.path.expanduser(volume.source or ""))
            source = source if source.is_absolute() else (project_dir / source)
            source = Path(os.path.normpath(source))
        else:
            name = volume.source or anonymous_volume_name(ctx.container_id, volume.target)
            source = ctx.volumes_root / f"{ctx.project.name}_{name}"
        mounts.append(bind_mount(str(source), volume.target, readonly=volume.read_only))
    for entry in ctx.service.tmpfs:
        target, _, opts = entry.partition(":")
        mounts.append({"destination": target, "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "nodev", *(o for o in opts.split(",") if o)]})
    return mounts


def render_spec(ctx: RenderContext) -> Spec:
    return build_spec(spec_options(ctx))


def write_bundle(spec: Spec, bundle_dir: Path) -> Path:
    """Writes config.json atomically and makes the rootfs mount point."""
    bundle_dir.mkdir(parents=True, exist_ok=True)
    (bundle_dir / "rootfs").mkdir(exist_ok=True)
    target = bundle_dir / "config.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(spec, indent=2) + "\n")
    tmp.replace(target)
    return target


def anonymous_volume_name(container_id: str, target: str) -> str:
    """Stable across runs (unlike hash()), so a restart finds the same anonymous volume."""
    return f"anon-{container_id}-{hashlib.sha256(target.encode()).hexdigest()[:12]}"
