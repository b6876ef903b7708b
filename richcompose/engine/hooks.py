"""The seam for per-container setup around create and delete (e.g. networking: a netns made
and attached before the bundle is rendered, detached after the container is deleted). The
engine runs every hook's `prepare` in list order and `cleanup` in reverse order. A restart
by the monitor reuses the bundle, so what `prepare` made lives until `down` or `rm`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from richcompose.state import ContainerPaths

if TYPE_CHECKING:
    from richcompose.bundle.spec import SpecOption
    from richcompose.config.models import Project


@dataclass(frozen=True)
class Prepared:
    """What a hook adds to the container's bundle."""

    netns_path: str | None = None
    extra_mounts: tuple[Mapping[str, Any], ...] = ()
    host_network: bool = False  # network_mode: host — no network namespace of its own


class ContainerHook(Protocol):
    def prepare(self, project: Project, service: str, container_id: str,
                cpaths: ContainerPaths) -> Prepared: ...

    def plan(self, project: Project, service: str, container_id: str,
             cpaths: ContainerPaths) -> Prepared:
        """What `prepare` would return, with no side effects (for `richcompose render`)."""
        ...

    def cleanup(self, project_name: str, service: str, container_id: str,
                cpaths: ContainerPaths) -> None:
        """Must be idempotent: `down` after a crash may call it for half-made containers."""
        ...

    def cleanup_project(self, project_name: str) -> None:
        """After `down` removed every container: what the project had besides them."""
        ...


def spec_options(made: Sequence[Prepared]) -> list[SpecOption]:
    """What the hooks made, as spec options on the rendered (and hashed) bundle."""
    from richcompose.bundle.render import with_attachments  # the renderer: not for status views

    return with_attachments(next((m.netns_path for m in made if m.netns_path), None),
                            [mount for m in made for mount in m.extra_mounts],
                            host_network=any(m.host_network for m in made))
