"""Top-level resources a project declares beside its services: networks, volumes, configs and
secrets, and `include:` entries."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from richcompose.config import normalize
from richcompose.config.base import KeyProblem, MappingInput, Model


def legacy_external(data: Any) -> Any:
    """`external: {name: X}` (the legacy form) → `external: true, name: X`, as compose-go's
    transformMaybeExternal does; a different `name:` beside it is an error."""
    if not isinstance(data, dict) or not isinstance(data.get("external"), dict):
        return data
    external = data["external"]
    if set(external) - {"name"}:
        raise KeyProblem("external", "external takes true/false, or the legacy {name: X}",
                         "write `name: X` and `external: true`")
    out = {**data, "external": True}
    if "name" in external:
        if data.get("name") not in (None, external["name"]):
            raise KeyProblem("external", "name and external.name conflict; only use name",
                             "remove external.name")
        out["name"] = external["name"]
    return out


# The schema shows the legacy `external: {name: X}` too; the model keeps a flag (and `name`).
External = Annotated[bool, WithJsonSchema({"anyOf": [
    {"type": "boolean"}, {"type": "object", "properties": {"name": {"type": "string"}},
                          "additionalProperties": False}]})]


class _MaybeExternal(Model):
    @model_validator(mode="before")
    @classmethod
    def _legacy_external(cls, data: Any) -> Any:
        return legacy_external(data)


class Network(_MaybeExternal):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    ipam: dict[str, Any] | None = None
    internal: bool = False
    external: External = False
    attachable: bool = False
    enable_ipv4: bool = True
    enable_ipv6: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before", json_schema_input_type=MappingInput)
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class Volume(_MaybeExternal):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    external: External = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before", json_schema_input_type=MappingInput)
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class FileObject(_MaybeExternal):
    """A top-level config or secret: from a file, an environment variable or inline content."""

    name: str | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: External = False
    labels: dict[str, str] = Field(default_factory=dict)
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    template_driver: str | None = None

    @field_validator("labels", mode="before", json_schema_input_type=MappingInput)
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class Include(Model):
    """An `include:` entry; the loader resolves it, the model exists for the schema."""

    path: str | list[str]
    project_directory: str | None = None
    env_file: str | list[str] | None = None
