"""Bundle stage: (service, image) → an OCI runtime bundle (config.json + rootfs mount point)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from richcompose.bundle.spec import Spec, SpecOption, build_spec, default_spec

if TYPE_CHECKING:
    from richcompose.bundle.render import Bundle, RenderContext, render_bundle, write_bundle

__all__ = ["Bundle", "RenderContext", "Spec", "SpecOption", "build_spec", "default_spec", "render_bundle",
           "write_bundle"]


def __getattr__(name: str) -> Any:
    # The renderer (config models, templates) loads on first use: the monitor imports
    # bundle.rich's constants without it.
    if name in ("Bundle", "RenderContext", "render_bundle", "write_bundle"):
        from richcompose.bundle import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
