"""The engine: ordered, parallel bring-up with health gates; stop and down in reverse order;
status views. Supervision after the CLI exits is richcompose.runtime.monitor's job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from richcompose.engine.records import ContainerRecord, ContainerStatus

if TYPE_CHECKING:
    from richcompose.engine.core import Engine

__all__ = ["ContainerRecord", "ContainerStatus", "Engine"]


def __getattr__(name: str) -> Any:
    # The engine core pulls in bundles, images and networking: loaded on first use, so the
    # read-only views (engine.status) come without them.
    if name == "Engine":
        from richcompose.engine.core import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
