"""Where state lives under the state root, a lock per project, and atomic JSON records."""

from __future__ import annotations

import fcntl
import json
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from richcompose.errors import StateError
from richcompose.hostfs import safe_join

DEFAULT_ROOT = Path("/var/lib/richcompose")


KERNEL_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


def state_root(flag: str | None, environ: Mapping[str, str]) -> Path:
    """--root beats RICHCOMPOSE_ROOT (in the CLI's `environ`) beats /var/lib/richcompose; never
    inside a kernel filesystem (/proc, /sys, /dev), where nothing can be stored and writes have
    effects."""
    root = Path(flag or environ.get("RICHCOMPOSE_ROOT") or DEFAULT_ROOT).absolute()
    real = Path(os.path.realpath(root))
    for kernel in KERNEL_FILESYSTEMS:
        if real == kernel or real.is_relative_to(kernel):
            raise StateError(f"state root {str(root)[:200]!r} is inside {kernel}, a kernel "
                             "filesystem", hint="give --root (or RICHCOMPOSE_ROOT) a directory "
                                                "on a real filesystem")
    return root


def close_root(root: Path) -> str | None:
    """Make the state root exist as a directory only its owner (root) may enter: under it are
    image snapshots and containers' writable layers with setuid files, file capabilities and
    device nodes, and bundles whose config.json holds secrets. A pre-existing root with looser
    bits is closed, and the message saying so is returned for the caller to show."""
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = root.lstat()
    except (FileExistsError, NotADirectoryError):
        st = None
    if st is None or not stat.S_ISDIR(st.st_mode):
        raise StateError(f"state root {root} is not a directory",
                         hint="point --root or RICHCOMPOSE_ROOT at a directory")
    if st.st_uid != os.geteuid():
        raise StateError(f"state root {root} belongs to uid {st.st_uid}, not to the user "
                         "running richcompose", hint="chown it, or choose another --root")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(root, 0o700)
        return (f"state root {root} was mode {stat.S_IMODE(st.st_mode):04o}, open to other "
                "users; closed it to 0700")
    return None


@dataclass(frozen=True)
class LayerDirs:
    """A writable layer under `dir`: overlayfs's upperdir and workdir (a container's own, or
    a VM's disk kept beside it, engine/disk.py)."""

    dir: Path

    @property
    def upper(self) -> Path:
        return self.dir / "upper"

    @property
    def work(self) -> Path:
        return self.dir / "work"


@dataclass(frozen=True)
class ContainerPaths(LayerDirs):
    @property
    def bundle(self) -> Path:
        return self.dir / "bundle"

    @property
    def rootfs(self) -> Path:
        return self.bundle / "rootfs"

    @property
    def log(self) -> Path:
        return self.dir / "container.log"

    @property
    def files(self) -> Path:
        """The container's secret and config files (engine/filerefs.py), bind-mounted."""
        return self.dir / "files"

    @property
    def pidfile(self) -> Path:
        return self.dir / "container.pid"

    @property
    def conmon_pidfile(self) -> Path:
        return self.dir / "conmon.pid"

    @property
    def sockets(self) -> Path:
        return self.dir / "sockets"

    @property
    def record(self) -> Path:
        return self.dir / "container.json"

    @property
    def lock(self) -> Path:
        return self.dir / "lock"

    @property
    def supervision(self) -> Path:
        """The restart policy and health check it was created with (for `start`)."""
        return self.dir / "supervision.json"


@dataclass(frozen=True)
class ProjectPaths:
    dir: Path

    @property
    def lock(self) -> Path:
        return self.dir / "lock"

    @property
    def record(self) -> Path:
        return self.dir / "project.json"

    @property
    def exits(self) -> Path:
        return self.dir / "exits"

    @property
    def containers(self) -> Path:
        return self.dir / "containers"

    @property
    def supervise(self) -> Path:
        """One file per container the monitor must watch (restart policy, health check)."""
        return self.dir / "supervise"

    @property
    def health(self) -> Path:
        """One JSON file per container with a health check, written by the monitor."""
        return self.dir / "health"

    @property
    def events(self) -> Path:
        return self.dir / "events.jsonl"

    @property
    def monitor_pidfile(self) -> Path:
        return self.dir / "monitor.pid"

    @property
    def monitor_log(self) -> Path:
        return self.dir / "monitor.log"

    def container(self, container_id: str) -> ContainerPaths:
        return ContainerPaths(safe_join(self.containers, container_id))


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def runtime_root(self) -> Path:
        return self.root / "runc"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    def volume_owner(self, folder: Path) -> Path:
        """Beside `volumes/<project>_<name>` (never inside it, where the container writes):
        the project that made it, as compose's project label on a volume. `a_b_data` may be
        project `a`'s volume `b_data` or project `a_b`'s `data`; this file says which."""
        return safe_join(self.volumes, f".{folder.name}.project")

    @property
    def projects(self) -> Path:
        return self.root / "projects"

    @property
    def cgroup_parent(self) -> str:
        """Container cgroups live under a parent per state root: container ids repeat across
        roots, and a shared cgroup would let `kill --all` of one reach another's processes."""
        import hashlib  # ~4 MiB of libcrypto, which the monitor never needs

        return f"/richcompose/{hashlib.sha256(str(self.root).encode()).hexdigest()[:8]}"

    def project(self, name: str) -> ProjectPaths:
        return ProjectPaths(safe_join(self.projects, name))

    def project_names(self) -> list[str]:
        if not self.projects.is_dir():
            return []
        return sorted(p.name for p in self.projects.iterdir() if (p / "project.json").is_file())


def write_json(path: Path, data: Any) -> None:
    """Write-then-rename, so a crash never leaves a half-written record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def read_json(path: Path) -> Any:
    """The document, None if there is no file; StateError if it cannot be read (truncated,
    garbage, not a file): callers treat records as a cache and rebuild or remove what they
    described."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise StateError(f"unreadable state file {path}: {exc}") from None


def read_json_object(path: Path) -> dict[str, Any] | None:
    """read_json for records that must be JSON objects."""
    data = read_json(path)
    if data is not None and not isinstance(data, dict):
        raise StateError(f"unreadable state file {path}: not a JSON object")
    return data


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """A blocking exclusive flock on `path`: serialises the monitor's restart of a container
    with the CLI stopping or removing it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def project_lock(paths: ProjectPaths, *, wait: bool = True,
                 on_wait: Any = None) -> Iterator[None]:
    """An exclusive lock per project, so two commands never change one project at once."""
    paths.dir.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise StateError(f"project {paths.dir.name!r} is locked by another richcompose",
                                 hint="wait for the other command to finish") from None
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
