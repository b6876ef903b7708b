"""Top-level resources a project declares beside its services: networks, volumes, configs and
secrets, and `include:` entries."""

from __future__ import annotations

import ipaddress
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


class IpamPool(Model):
    """One `ipam.config` entry; richcompose uses the first one's subnet and gateway."""

    subnet: str | None = None
    gateway: str | None = None
    ip_range: str | None = None
    aux_addresses: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _addresses(self) -> IpamPool:
        try:
            network = ipaddress.ip_network(self.subnet) if self.subnet else None
        except ValueError:
            raise KeyProblem("subnet", f"subnet {self.subnet!r} is not a network (CIDR)",
                             "write it as 172.28.0.0/16") from None
        if network is not None and network.version != 4:
            raise KeyProblem("subnet", f"subnet {self.subnet} is IPv6; project networks are "
                             "IPv4", "use an IPv4 subnet")
        if self.gateway:
            try:
                gateway = ipaddress.ip_address(self.gateway)
            except ValueError:
                raise KeyProblem("gateway", f"gateway {self.gateway!r} is not an IP address",
                                 "write it as 172.28.0.1") from None
            if network is not None and gateway not in network:
                raise KeyProblem("gateway", f"gateway {gateway} is outside subnet {network}",
                                 "pick an address inside the subnet")
        return self


class Ipam(Model):
    driver: str | None = None
    config: list[IpamPool] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)


class Network(_MaybeExternal):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    ipam: Ipam | None = None
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

    @property
    def ipam_config(self) -> list[IpamPool]:
        return self.ipam.config if self.ipam else []


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
