"""buildah with storage of its own under the state root, isolated from the host's containers
configuration: its own storage.conf, registries.conf (nothing to pull from: richcompose hands
it every base image) and signature policy. The user never sees this store; built images land
in richcompose's store through an OCI layout, and `image prune` empties this one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from richcompose.errors import ImageError

BUILDAH = "buildah"
_POLICY = {"default": [{"type": "insecureAcceptAnything"}]}  # inputs are verified by us
# skip_mount_home: no private bind mount of the store over itself left behind after a build
_STORAGE_CONF = ('[storage]\ndriver = "overlay"\n'
                 '[storage.options.overlay]\nskip_mount_home = "true"\n')
_REGISTRIES_CONF = 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n'


class Buildah:
    """One private buildah installation rooted at `workdir`."""

    def __init__(self, workdir: Path, *, program: str = BUILDAH, path: str | None = None,
                 runtime: str = "runc") -> None:
        self.workdir = workdir
        self.program = program
        self.runtime = runtime  # runs RUN steps (crun needs the hybrid-cgroup wrapper here)
        self.path = path or os.defpath  # where buildah and unshare are found
        self.storage = workdir / "storage"
        self.runroot = workdir / "run"
        self.policy = workdir / "policy.json"
        self._loaded = workdir / "loaded.json"

    def setup(self) -> None:
        if shutil.which(self.program, path=self.path) is None:
            raise ImageError("buildah is not installed; it builds the images of build: services",
                             hint="apt-get install buildah (scripts/setup.sh does)")
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, text in (("storage.conf", _STORAGE_CONF),
                           ("registries.conf", _REGISTRIES_CONF),
                           ("policy.json", json.dumps(_POLICY)),
                           ("containers.conf", "[engine]\n")):
            path = self.workdir / name
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """A minimal environment: nothing of the caller's leaks into RUN steps or config."""
        return {"PATH": self.path, "HOME": str(self.workdir),
                "CONTAINERS_STORAGE_CONF": str(self.workdir / "storage.conf"),
                "CONTAINERS_REGISTRIES_CONF": str(self.workdir / "registries.conf"),
                "CONTAINERS_CONF": str(self.workdir / "containers.conf"),
                "TMPDIR": str(self.workdir / "tmp"),
                **(extra or {})}

    def command(self, *args: str) -> list[str]:
        return [self.program, "--root", str(self.storage), "--runroot", str(self.runroot),
                *args]

    def run(self, *args: str) -> str:
        (self.workdir / "tmp").mkdir(exist_ok=True)
        done = subprocess.run(self.command(*args), capture_output=True, text=True,
                              env=self.env(), stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            message = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise ImageError(f"buildah {args[0]} failed: {message[0]}")
        return done.stdout.strip()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialises loading base images (parallel builds share them)."""
        with (self.workdir / "lock").open("a") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            yield

    def load(self, directory: Path, names: Sequence[str], digest: str) -> None:
        """Make an image in `dir:` format known to buildah under `names`; skipped when those
        names already stand for `digest`."""
        with self.locked():
            loaded = self._read_loaded()
            if all(loaded.get(n) == digest for n in names):
                return
            image_id = self.run("pull", "--quiet", "--signature-policy", str(self.policy),
                                f"dir:{directory}")
            self.run("tag", image_id.splitlines()[-1], *names)
            loaded.update(dict.fromkeys(names, digest))
            (self.workdir / "loaded.json").write_text(json.dumps(loaded))

    def export(self, image: str, directory: Path) -> None:
        """Write `image` from buildah's store in `dir:` format, layers uncompressed (so the
        same image always gives the same digests)."""
        self.run("push", "--quiet", "--format", "v2s2", "--disable-compression",
                 "--signature-policy", str(self.policy), image, f"dir:{directory}")

    def _read_loaded(self) -> dict[str, str]:
        try:
            data = json.loads(self._loaded.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def bud(self, args: Sequence[str], *, cwd: Path, env: Mapping[str, str],
            on_line: Callable[[str], None]) -> tuple[int, list[str]]:
        """Run `buildah bud ARGS`, each output line to `on_line`; the exit status and the last
        lines (for the error)."""
        (self.workdir / "tmp").mkdir(exist_ok=True)
        command = self.command("bud", *args)
        tail: list[str] = []
        with subprocess.Popen(command, cwd=cwd, env=self.env(env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", bufsize=1) as process:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip("\n")
                on_line(line)
                tail = [*tail[-40:], line]
            code = process.wait()
        return code, tail

    def prune(self) -> None:
        """Forget every image and cached step (`image prune`)."""
        if not self.storage.exists() or shutil.which(self.program, path=self.path) is None:
            return
        subprocess.run(self.command("rm", "--all"), env=self.env(), capture_output=True,
                       check=False)
        subprocess.run(self.command("rmi", "--all", "--force"), env=self.env(),
                       capture_output=True, check=False)
        self._loaded.unlink(missing_ok=True)
