"""Just enough runc for the network tests: busybox containers joined to a given netns.

Phase-1 tests exercise the network stage without the engine, so they build the OCI config from
`runc spec` themselves; the network part comes from `with_network`, the spec option the
bundle stage applies.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from richcompose.config.models import Service
from richcompose.network import Attachment
from richcompose.network.compose import port_specs
from richcompose.network.oci import with_network
from richcompose.network.ports import PortSpec


class Runc:
    """Containers under a private runc root; `remove_all` leaves nothing behind."""

    def __init__(self, workdir: Path, rootfs: Path) -> None:
        self.root = workdir / "runc"
        self.workdir = workdir
        self.rootfs = rootfs
        self.ids: list[str] = []

    def _bundle(self, cid: str, args: list[str], attachment: Attachment, hostname: str) -> Path:
        bundle = self.workdir / "bundles" / cid
        bundle.mkdir(parents=True)
        subprocess.run(["runc", "spec"], cwd=bundle, check=True)
        spec = json.loads((bundle / "config.json").read_text())
        spec["root"] = {"path": str(self.rootfs), "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = args
        spec["hostname"] = hostname
        spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "nodev"]})
        spec = with_network(spec, attachment.netns_path, attachment)
        (bundle / "config.json").write_text(json.dumps(spec))
        return bundle

    def start(self, cid: str, args: list[str], attachment: Attachment, hostname: str) -> None:
        """Run a long-lived container in the background (output to a file, never a pipe)."""
        bundle = self._bundle(cid, args, attachment, hostname)
        self.ids.append(cid)
        with open(bundle / "output", "w") as out:
            subprocess.run(["runc", "--root", str(self.root), "run", "-d", "-b", str(bundle), cid],
                           stdout=out, stderr=out, stdin=subprocess.DEVNULL, check=True)

    def run(self, cid: str, args: list[str], attachment: Attachment, hostname: str) -> str:
        """Run a container to completion and return what it printed."""
        bundle = self._bundle(cid, args, attachment, hostname)
        self.ids.append(cid)
        with open(bundle / "output", "w") as out:
            subprocess.run(["runc", "--root", str(self.root), "run", "-b", str(bundle), cid],
                           stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=30, check=False)
        return (bundle / "output").read_text()

    def exec(self, cid: str, args: list[str]) -> str:
        proc = subprocess.run(["runc", "--root", str(self.root), "exec", cid, *args],
                              capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout + proc.stderr

    def remove(self, cid: str) -> None:
        subprocess.run(["runc", "--root", str(self.root), "kill", cid, "KILL"],
                       capture_output=True, check=False)
        for _ in range(100):
            proc = subprocess.run(["runc", "--root", str(self.root), "delete", cid],
                                  capture_output=True, check=False)
            if proc.returncode == 0 or b"does not exist" in proc.stderr:
                break
            time.sleep(0.02)
        if cid in self.ids:
            self.ids.remove(cid)

    def remove_all(self) -> None:
        for cid in list(self.ids):
            self.remove(cid)

    def listed(self) -> list[str]:
        proc = subprocess.run(["runc", "--root", str(self.root), "list", "-q"],
                              capture_output=True, text=True, check=False)
        return proc.stdout.split()


def ports(*entries: str) -> list[PortSpec]:
    """`ports:` entries as the network stage gets them: validated by config, then converted."""
    return port_specs(Service(rootfs="./r", ports=list(entries)).ports)
