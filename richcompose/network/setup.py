"""Networking as a container setup (richcompose.container_setup): a container's netns is made
and attached before it is created, detached after it is deleted, and a project's networks go
with `down`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from richcompose.container_setup import Contribution, container_name
from richcompose.network import service as service_network

if TYPE_CHECKING:
    from richcompose.config.models import Project
    from richcompose.network.manager import NetworkManager
    from richcompose.state import ContainerPaths


class NetworkSetup:
    def __init__(self, manager: NetworkManager) -> None:
        self.manager = manager

    def prepare(self, project: Project, service: str, container_id: str,
                cpaths: ContainerPaths) -> Contribution:
        net = service_network.connect(self.manager, project, service, container_id,
                                      cpaths.dir / "network",
                                      lambda other: container_name(project.name, other))
        return Contribution(net.netns_path, net.mounts, host_network=net.host)

    def plan(self, project: Project, service: str, container_id: str,
             cpaths: ContainerPaths) -> Contribution:
        net = service_network.planned(project, service, container_id,
                                      cpaths.dir / "network",
                                      self.manager.netns_path(container_id))
        return Contribution(net.netns_path, net.mounts, host_network=net.host)

    def cleanup(self, project_name: str, service: str, container_id: str,
                cpaths: ContainerPaths) -> None:
        self.manager.detach(project_name, container_id)

    def cleanup_project(self, project_name: str) -> None:
        self.manager.cleanup_project(project_name)
