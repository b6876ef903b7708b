"""A service's `build:` section, as compose-go's BuildConfig holds it.

Short and long syntaxes are normalised here (`build: ./dir`, `args: [A=1, B]`, `tags: x`,
`extra_hosts: ["h:1.2.3.4"]`, `secrets: [name]`); what buildah cannot do is a located error (a
git context here; a foreign platform in image/build/plan.py, which knows the host) or a warning
(config/unsupported.py).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from richcompose.config import normalize
from richcompose.config.base import (
    KeyProblem,
    MappingInput,
    Model,
    SizeInput,
    StringListInput,
    in_bytes,
    normalised,
)
from richcompose.config.parts import FileRef

# compose-go's detection of remote contexts (loader/paths.go: isRemoteContext).
_REMOTE_CONTEXT = re.compile(r"^(?:git://|git@|github\.com/|[a-z][a-z0-9+.-]*://)", re.I)
BUILD_NETWORKS = ("none", "host", "default")


class Build(Model):
    """Every key of compose's `build:`; see docs/build.md for how each reaches buildah."""

    context: str | None = None  # the project directory when unset
    dockerfile: str | None = None
    dockerfile_inline: str | None = None
    args: dict[str, str | None] = Field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    network: str | None = None
    no_cache: bool = False
    pull: bool = False
    # each mounted for RUN --mount=type=secret,id=TARGET (the id defaults to the source)
    secrets: list[FileRef] = Field(default_factory=list)
    extra_hosts: dict[str, list[str]] = Field(default_factory=dict)
    shm_size: int | None = None
    platforms: list[str] = Field(default_factory=list)
    additional_contexts: dict[str, str] = Field(default_factory=dict)
    cache_from: list[str] = Field(default_factory=list)
    cache_to: list[str] = Field(default_factory=list)
    # Accepted and reported by config/unsupported.py (warnings): nothing is silently dropped.
    no_cache_filter: list[str] = Field(default_factory=list)
    ssh: list[str] | dict[str, str | None] = Field(default_factory=list)
    isolation: str | None = None
    privileged: bool = False
    entitlements: list[str] = Field(default_factory=list)
    ulimits: dict[str, Any] = Field(default_factory=dict)
    provenance: str | bool | None = None
    sbom: str | bool | None = None

    _args = normalised("args", by=normalize.environment_dict, written_as=MappingInput)
    _labels = normalised("labels", "additional_contexts", by=normalize.labels_dict,
                         written_as=MappingInput)
    _string_lists = normalised("tags", "platforms", "cache_from", "cache_to", "no_cache_filter",
                               "entitlements", by=normalize.string_list,
                               written_as=StringListInput)
    # compose-go's HostsList: a host may have several addresses
    _extra_hosts = normalised("extra_hosts", by=normalize.extra_hosts_dict,
                              written_as=MappingInput)
    _secrets = normalised("secrets", by=normalize.file_ref_list, written_as=list[str | FileRef])
    _shm_size = normalised("shm_size", by=in_bytes, written_as=SizeInput)

    @model_validator(mode="after")
    def _buildable_here(self) -> Build:
        if self.context and _REMOTE_CONTEXT.match(self.context):
            raise KeyProblem("context", f"build context {self.context!r} is a remote (git or "
                             "URL) context; richcompose builds from local directories only",
                             "clone the repository and point context: at the directory")
        if self.dockerfile and self.dockerfile_inline:
            raise KeyProblem("dockerfile_inline", "give dockerfile or dockerfile_inline, not both",
                             "remove one of them")
        if self.network is not None and self.network not in BUILD_NETWORKS:
            raise KeyProblem("network", f"build network {self.network!r} is not available: RUN "
                             "steps run with no network (none, the default) or the host's",
                             "use network: none or network: host")
        for name, value in self.additional_contexts.items():
            if _REMOTE_CONTEXT.match(value) and not value.startswith("docker-image://"):
                raise KeyProblem("additional_contexts", f"additional context {name!r} is a "
                                 f"remote context ({value!r}); only directories, "
                                 "docker-image:// and service: are supported",
                                 "clone it and give the directory")
        return self

    @property
    def network_mode(self) -> str:
        """`host` gives RUN steps the host's network; anything else runs them in none."""
        return "host" if self.network == "host" else "none"
