"""The seam for per-container setup around create and delete, below both the engine (which
runs it) and the stages that plug into it (network/: a netns made and attached before the
container is created, detached after it is deleted). Three things are called "hook" nearby and
are kept apart by name: OCI *hooks* (config.json, run by runc), compose *lifecycle hooks*
(post_start, pre_stop) and these *container setups*.

The engine runs every setup's `prepare` in list order and `cleanup` in reverse order; what a
setup contributes is added to the rendered bundle as spec options, after the config hash was
taken. A restart by the monitor reuses the bundle, so what `prepare` made lives until `down`
or `rm`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # types only: engine.records (and so the status views) import this
    from richcompose.config.models import Project
    from richcompose.state import ContainerPaths


def container_name(project: str, service: str, number: int = 1) -> str:
    """The container id of a service's instance: `<project>-<service>-<number>`."""
    return f"{project}-{service}-{number}"


@dataclass(frozen=True)
class Contribution:
    """What a setup adds to the container's bundle."""

    netns_path: str | None = None
    extra_mounts: tuple[Mapping[str, Any], ...] = ()
    host_network: bool = False  # network_mode: host — no network namespace of its own


class ContainerSetup(Protocol):
    def prepare(self, project: Project, service: str, container_id: str,
                cpaths: ContainerPaths) -> Contribution: ...

    def plan(self, project: Project, service: str, container_id: str,
             cpaths: ContainerPaths) -> Contribution:
        """What `prepare` would return, with no side effects (for `richcompose render`)."""
        ...

    def cleanup(self, project_name: str, service: str, container_id: str,
                cpaths: ContainerPaths) -> None:
        """Must be idempotent: `down` after a crash may call it for half-made containers."""
        ...

    def cleanup_project(self, project_name: str) -> None:
        """After `down` removed every container: what the project had besides them."""
        ...
