"""Top-level resources a project declares beside its services: networks, volumes, configs and
secrets, and `include:` entries."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from richcompose.config import normalize
from richcompose.config.base import MappingInput, Model


class Network(Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    ipam: dict[str, Any] | None = None
    internal: bool = False
    external: bool = False
    attachable: bool = False
    enable_ipv4: bool = True
    enable_ipv6: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before", json_schema_input_type=MappingInput)
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class Volume(Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    external: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before", json_schema_input_type=MappingInput)
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class FileObject(Model):
    """A top-level config or secret: from a file, an environment variable or inline content."""

    name: str | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False
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
