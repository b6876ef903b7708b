"""The network stage's records under the state root: one JSON document behind a file lock.

Everything richcompose creates (networks, attachments, netns) is written here *before* it is
created, so `cleanup_project` can remove it after a crash.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from richcompose.network.conflist import OWNER_KEY, load_conflist


class NetworkStore:
    """`root` is `<state root>/network`; `records()` yields the document to read and modify."""

    def __init__(self, root: Path, warn: Callable[[str], None] = lambda message: None) -> None:
        self.root = root
        self.warn = warn
        self.cache_dir = root / "cni-cache"
        self.ipam_dir = root / "ipam"
        self.conf_dir = root / "conf"
        self.files_dir = root / "containers"

    @contextmanager
    def records(self) -> Iterator[dict[str, Any]]:
        """Lock, load, yield for changes, save atomically, unlock."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.root / "state.json"
            data = self._load(path)
            if not data:  # no file, or one set aside: what this root's conflists say
                data.update(self._from_conflists())
            data.setdefault("networks", {})
            data.setdefault("containers", {})
            data.setdefault("projects", {})
            try:
                yield data
            finally:
                # Saved even when the caller fails part-way: records describe what may exist.
                self.flush(data)

    def peek(self) -> dict[str, Any]:
        """The records as last saved, without the lock (read only: never saved back)."""
        try:
            data = json.loads((self.root / "state.json").read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _from_conflists(self) -> dict[str, Any]:
        """The networks richcompose made under this root, rebuilt from their conflists (each
        names its project and compose network): without them a lost state file left the
        bridge, its rules and its leases behind, and the next `up` chose another subnet for a
        bridge that still had the old one."""
        networks: dict[str, Any] = {}
        projects: dict[str, dict[str, str]] = {}
        for path in sorted(self.conf_dir.glob("*.conflist")) if self.conf_dir.is_dir() else []:
            try:
                config = load_conflist(path)
                owner = config[OWNER_KEY]
                bridge = config["plugins"][0]
                (first,) = bridge["ipam"]["ranges"][0]
                name, project, network = config["name"], owner["project"], owner["network"]
            except (OSError, ValueError, KeyError, IndexError, TypeError):
                continue  # not one of ours, or made before conflists said whose they are
            networks[name] = {"conflist": str(path), "subnet": first["subnet"],
                              "gateway": first["gateway"],
                              "internal": "routes" not in bridge["ipam"], "owned": True,
                              "users": [project]}
            projects.setdefault(project, {})[network] = name
        if networks:
            self.warn(f"network records rebuilt from {len(networks)} conflist(s) in "
                      f"{self.conf_dir}")
        return {"networks": networks, "projects": projects} if networks else {}

    def _load(self, path: Path) -> dict[str, Any]:
        """The records; an unreadable file is set aside (state.json.damaged) and reported
        once, and the network stage starts over from what it finds by name (namespaces, the
        CNI cache) — records are a cache, never a reason for `down` to stop."""
        try:
            data = json.loads(path.read_bytes())
            if isinstance(data, dict):
                return data
            raise ValueError("not a JSON object")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            aside = path.with_name("state.json.damaged")
            path.replace(aside)
            self.warn(f"unreadable network state file {path} ({exc}); kept as {aside.name}, "
                      "rebuilt from the namespaces and the CNI cache")
            return {}

    def flush(self, data: dict[str, Any]) -> None:
        """Write the records now, inside `records()`, before a side effect that may crash."""
        path = self.root / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(path)
