"""What a conversion is asked for: the Kubernetes version and feature gates, the namespace,
and each service's `x-kubernetes:` block (what compose has no word for)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from richcompose.config.base import Model
from richcompose.config.models import Project
from richcompose.config.units import parse_bytes
from richcompose.errors import ConfigError, UsageError
from richcompose.kube.quantity import is_quantity

DEFAULT_KUBE_VERSION = "1.37"
# Kubernetes 1.33 added `lifecycle.stopSignal` (KEP-4960), alpha behind this gate ever since.
STOP_SIGNAL_GATE = "ContainerStopSignals"
STOP_SIGNAL_SINCE = (1, 33)
DEFAULT_WAITER_IMAGE = "busybox:1.36"
DEFAULT_STORAGE_SIZE = "1Gi"
EXTENSION = "x-kubernetes"


@dataclass(frozen=True)
class ConvertOptions:
    kube_version: str = DEFAULT_KUBE_VERSION
    namespace: str | None = None
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    services: tuple[str, ...] = ()  # empty: all (with their dependencies when named)
    environ: Mapping[str, str] = field(default_factory=dict)  # for `environment: [VAR]`
    dumb_init: str = "/usr/local/libexec/richcompose/dumb-init"
    host_arch: str = "x86_64"  # the dumb-init binary's architecture (platform.machine())

    @property
    def version(self) -> tuple[int, int]:
        return parse_version(self.kube_version)

    @property
    def stop_signal_allowed(self) -> bool:
        return self.version >= STOP_SIGNAL_SINCE and self.feature_gates.get(STOP_SIGNAL_GATE, False)


def parse_version(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    if not match:
        raise UsageError(f"--kube-version {text!r} is not a version", hint="e.g. 1.37 or v1.32.4")
    return int(match.group(1)), int(match.group(2))


def parse_feature_gates(text: str | None) -> dict[str, bool]:
    """kubelet's syntax: `Gate=true,Other=false`."""
    gates: dict[str, bool] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.strip().partition("=")
        if not sep or value.lower() not in ("true", "false") or not name.isalnum():
            raise UsageError(f"--feature-gates: {item!r} is not NAME=true|false",
                             hint=f"e.g. --feature-gates {STOP_SIGNAL_GATE}=true")
        gates[name] = value.lower() == "true"
    return gates


class KubeBlock(Model):
    """A service's `x-kubernetes:` block."""

    image: str | None = Field(None, description="the image to run instead of rootfs:/image:")
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    storage_class: str | None = None
    storage_size: str = DEFAULT_STORAGE_SIZE
    runtime_class: str | None = None
    waiter_image: str = DEFAULT_WAITER_IMAGE
    host_gateway: str | None = Field(None, description="the address extra_hosts' host-gateway means")
    sbin_init: Literal["systemd", "busybox", "sysv"] | None = Field(
        None, description="what the image's /sbin/init is (rich_mode sbin-init)")

    @field_validator("storage_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if not is_quantity(value):
            raise ValueError(f"storage_size {value!r} is not a Kubernetes quantity (e.g. 10Gi)")
        return value


def kube_block(project: Project, service: str) -> KubeBlock:
    """The validated block; errors point at the user's line."""
    path = ("services", service)
    raw: Any = project.extensions.get(path, {}).get(EXTENSION) or {}
    try:
        return KubeBlock.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = project.locate((*path, EXTENSION, *first["loc"])) \
            or project.locate((*path, EXTENSION))
        raise ConfigError(f"service {service!r}: {EXTENSION}: "
                          f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
                          location=where, hint="see docs/kubernetes.md for the keys") from None


def size_bytes(value: str) -> int:
    return parse_bytes(value)
