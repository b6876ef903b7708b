"""Config stage: project files → a validated `Project`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from richcompose.config.loader import LoadOptions, find_project_files, load_project

if TYPE_CHECKING:
    from richcompose.config.models import Project, Service

__all__ = ["LoadOptions", "Project", "Service", "find_project_files", "load_project"]


def __getattr__(name: str) -> Any:
    # The models (pydantic) load on first use, not with the package.
    if name in ("Project", "Service"):
        from richcompose.config import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
