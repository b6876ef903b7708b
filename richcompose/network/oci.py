"""The network part of a container's OCI config, as a spec option (pure).

The bundle stage applies `with_network(...)` to its spec like its other options: it sets the
network namespace (joined by path, or dropped for `network_mode: host`) and bind-mounts the
hosts/resolv.conf/hostname files the NetworkManager keeps up to date.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from richcompose.network.types import Attachment

FILES = (("hosts_file", "/etc/hosts"), ("resolv_file", "/etc/resolv.conf"),
         ("hostname_file", "/etc/hostname"))


def file_mounts(files: Attachment) -> list[dict[str, Any]]:
    """Read-only bind mounts of the hosts/resolv.conf/hostname files a container gets."""
    mounts = []
    for attribute, target in FILES:
        source = getattr(files, attribute)
        if source is not None:
            mounts.append({"destination": target, "type": "bind", "source": str(source),
                           "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]})
    return mounts


def with_network(
    spec: dict[str, Any], netns_path: Path | None, files: Attachment | None
) -> dict[str, Any]:
    """Return `spec` joined to `netns_path` (None: the host's network) with the files mounted.

    `files` None leaves /etc/hosts and friends to the image (host mode keeps the host's view
    only if the caller mounts the host files; docker does the same).
    """
    spec = copy.deepcopy(spec)
    linux = spec.setdefault("linux", {})
    namespaces = [ns for ns in linux.get("namespaces", []) if ns.get("type") != "network"]
    if netns_path is not None:
        namespaces.append({"type": "network", "path": str(netns_path)})
    linux["namespaces"] = namespaces
    mounts = [m for m in spec.get("mounts", [])
              if m.get("destination") not in {target for _, target in FILES}]
    if files is not None:
        mounts.extend(file_mounts(files))
    spec["mounts"] = mounts
    return spec
