"""compose's `network_mode` as a plain value the engine and bundle act on (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from richcompose.errors import NetworkError

ModeKind = Literal["bridge", "host", "none", "service", "container"]


@dataclass(frozen=True)
class NetworkMode:
    """How a container gets its network namespace.

    bridge: its own netns attached to its networks (the default); none: its own netns with
    loopback only; host: no netns entry in config.json (the host's); service/container: join
    the netns of another service's container / of a container id (`target`).
    """

    kind: ModeKind
    target: str = ""

    @property
    def owns_netns(self) -> bool:
        return self.kind in ("bridge", "none")

    @property
    def attaches(self) -> bool:
        """Whether CNI networks (and published ports) apply to this container."""
        return self.kind == "bridge"


def parse_network_mode(value: str | None) -> NetworkMode:
    if value in (None, "", "bridge", "default"):
        return NetworkMode("bridge")
    assert value is not None
    if value in ("host", "none"):
        return NetworkMode(value)  # type: ignore[arg-type]
    kind, sep, target = value.partition(":")
    if sep and target and kind in ("service", "container"):
        return NetworkMode(kind, target)  # type: ignore[arg-type]
    raise NetworkError(
        f"network_mode {value!r} is not supported",
        hint="use bridge, host, none, service:NAME or container:ID",
    )
