"""Networking: CNI bridge networks per project, a netns per container, names via /etc/hosts,
published ports via portmap. The engine talks to `NetworkManager` only."""

from richcompose.network.manager import NetworkManager
from richcompose.network.types import Attachment, Endpoint, NetworkSpec, PortMapping

__all__ = ["Attachment", "Endpoint", "NetworkManager", "NetworkSpec", "PortMapping"]
