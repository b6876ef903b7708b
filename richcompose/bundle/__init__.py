"""Bundle stage: (service, image) → an OCI runtime bundle (config.json + rootfs mount point)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from richcompose.bundle.render import Bundle, RenderContext, render_bundle, write_bundle
    from richcompose.bundle.spec import Spec, SpecOption, build_spec, default_spec

__all__ = ["Bundle", "RenderContext", "Spec", "SpecOption", "build_spec", "default_spec", "render_bundle",
           "write_bundle"]


def __getattr__(name: str) -> Any:
    # Nothing loads with the package: the monitor reads bundle.names without the renderer
    # (config models, templates).
    if name in ("Bundle", "RenderContext", "render_bundle", "write_bundle"):
        from richcompose.bundle import render

        return getattr(render, name)
    if name in ("Spec", "SpecOption", "build_spec", "default_spec"):
        from richcompose.bundle import spec

        return getattr(spec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
