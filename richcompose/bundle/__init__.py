"""Bundle stage: (service, image) → an OCI runtime bundle (config.json + rootfs mount point)."""

from richcompose.bundle.render import Bundle, RenderContext, render_bundle, write_bundle
from richcompose.bundle.spec import Spec, SpecOption, build_spec, default_spec

__all__ = ["Bundle", "RenderContext", "Spec", "SpecOption", "build_spec", "default_spec", "render_bundle",
           "write_bundle"]
