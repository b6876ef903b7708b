"""Rich container mode, the parts every mode shares: a directory of generated files mounted
read-only at /.richcompose, an init binary bind-mounted (never copied into an image layer),
and initcmd/initscript run as OCI `startContainer` hooks.

runc runs startContainer hooks inside the container, after pivot_root and right before PID 1
is exec'd, on every start, with the OCI state JSON on stdin. Each hook goes through
/.richcompose/bin/run-hook, which enforces the timeout and copies the hook's stderr into the
container's log (PID 1's stderr) as well as back to runc for the error message.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from richcompose.bundle import templates
from richcompose.bundle.imagefs import ImageFS
from richcompose.bundle.names import HOOK_OUTPUT as HOOK_OUTPUT  # re-exported for bundle users
from richcompose.bundle.names import RUN_HOST_DIR as RUN_HOST_DIR
from richcompose.bundle.spec import Spec, SpecOption, bind_mount, with_hook, with_mounts
from richcompose.errors import BundleError, Location

if TYPE_CHECKING:
    from richcompose.config.models import Service

RICH_DIR = "/.richcompose"
RUN_DIR = f"{RICH_DIR}/run"
HOST_DIR = "rich"  # inside the bundle dir; mount sources relative to the bundle are fine for runc
RUN_HOOK = f"{RICH_DIR}/bin/run-hook"
READY = f"{RICH_DIR}/bin/ready"
DUMB_INIT_IN_CONTAINER = f"{RICH_DIR}/bin/dumb-init"
TINI_IN_CONTAINER = "/.richcompose-init"
DEFAULT_INIT_TIMEOUT = 60.0
# What runc waits beyond our own timeout before it kills the hook itself.
_RUNC_TIMEOUT_MARGIN = 5


@dataclass(frozen=True)
class BundleFile:
    """A generated file, written under the bundle's rich/ directory."""

    text: str
    mode: int = 0o644


@dataclass(frozen=True)
class RichInputs:
    """What a rich mode needs to know about the service, already resolved by render.py."""

    name: str
    service: Service
    container_id: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    hostname: str
    uid: int
    gid: int
    fs: ImageFS
    mount_targets: frozenset[str]
    project_dir: str
    dumb_init: str
    host_env: Mapping[str, str]
    locate: Callable[[str], Location | None]
    cgroup_hybrid: bool = False  # the host has a cgroup2 `unified` mount beside cgroup v1


@dataclass
class RichParts:
    options: list[SpecOption] = field(default_factory=list)
    files: dict[str, BundleFile] = field(default_factory=dict)
    stop_signal: str | None = None

    def extend(self, other: RichParts) -> RichParts:
        self.options += other.options
        self.files.update(other.files)
        self.stop_signal = other.stop_signal or self.stop_signal
        return self


def rich_dir() -> RichParts:
    """The generated files' directory, read-only, with a writable directory for hook state
    that the host can read too (hook output the engine relays to the log, see run-hook)."""
    mounts = [bind_mount(HOST_DIR, RICH_DIR),
              bind_mount(RUN_HOST_DIR, RUN_DIR, readonly=False)]
    files = {"bin/run-hook": BundleFile(templates.render("run-hook.sh.j2", run_dir=RUN_DIR,
                                                           hook_output=HOOK_OUTPUT), 0o755),
             "bin/ready": BundleFile(templates.render("ready.sh.j2"), 0o755),
             "run/.keep": BundleFile("")}
    return RichParts([with_mounts(mounts)], files)


def with_init_binary(host_binary: str, in_container: str) -> SpecOption:
    """PID 1 is a small init (dumb-init, tini); the service's process becomes its child.
    Signals are forwarded to the child and the init exits with the child's exit code."""
    mount = with_mounts([bind_mount(host_binary, in_container)])

    def apply(spec: Spec) -> None:
        mount(spec)
        spec["process"]["args"] = [in_container, "--", *spec["process"]["args"]]
    return apply


def dumb_init(host_binary: str) -> RichParts:
    # An empty file is the mount point: the rich dir itself is read-only.
    return RichParts([with_init_binary(host_binary, DUMB_INIT_IN_CONTAINER)],
                     {"bin/dumb-init": BundleFile("")})


def timeout_seconds(service: Service) -> int:
    value = service.initscript_timeout
    return max(1, int(round(value if value is not None else DEFAULT_INIT_TIMEOUT)))


def hook(label: str, seconds: int, argv: Sequence[str], env: Mapping[str, str]) -> SpecOption:
    return with_hook("startContainer", RUN_HOOK, ["run-hook", label, str(seconds), *argv],
                     env=[f"{k}={v}" for k, v in env.items()],
                     timeout=seconds + _RUNC_TIMEOUT_MARGIN)


def init_hooks(inputs: RichInputs) -> RichParts:
    """initcmd first (it needs nothing in the image but a shell), then initscript."""
    service = inputs.service
    seconds = timeout_seconds(service)
    options: list[SpecOption] = []
    if service.initcmd or service.initscript:
        _require_shell(inputs, "initcmd" if service.initcmd else "initscript")
    if service.initcmd:
        options.append(hook("initcmd", seconds, ["/bin/sh", "-c", service.initcmd], inputs.env))
    if service.initscript:
        check_initscript(inputs)
        options.append(hook("initscript", seconds, [service.initscript], inputs.env))
    return RichParts(options)


def poststop_hook(inputs: RichInputs) -> RichParts:
    """`poststop:` runs on the host after the container is gone (runc delete), in the project
    directory, with the state JSON on stdin."""
    command = inputs.service.poststop
    if not command:
        return RichParts()
    script = f"cd {shlex.quote(inputs.project_dir)} && {command}"
    env = [f"PATH={inputs.host_env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
           f"RICHCOMPOSE_SERVICE={inputs.name}", f"RICHCOMPOSE_CONTAINER={inputs.container_id}"]
    return RichParts([with_hook("poststop", "/bin/sh", ["sh", "-c", script], env=env,
                                timeout=timeout_seconds(inputs.service))])


def check_initscript(inputs: RichInputs) -> None:
    """Missing, not executable or without a usable interpreter: an error before anything starts
    that names the service, the path and the reason."""
    path = inputs.service.initscript or ""

    def fail(reason: str, hint: str) -> BundleError:
        return BundleError(f"service {inputs.name!r}: initscript {path}: {reason}",
                           location=inputs.locate("initscript"), hint=hint)

    if not path.startswith("/"):
        raise fail("not an absolute path in the container", "write the path as the container "
                   "sees it, e.g. /init.sh")
    if not inputs.fs.exists(path):
        raise fail("not found in the container's filesystem",
                   "add it to the image or rootfs, or mount it with volumes:")
    if not inputs.fs.is_executable_file(path):
        raise fail("not an executable file", "chmod +x it (in the image or the volume)")
    head = inputs.fs.read_head(path)
    if head.startswith(b"\x7fELF"):
        return
    if not head.startswith(b"#!"):
        raise fail("no #! line and not a binary, so nothing can run it",
                   "start it with e.g. #!/bin/sh")
    words = head[2:].split(b"\n", 1)[0].decode(errors="replace").split()
    if not words:
        raise fail("empty #! line", "start it with e.g. #!/bin/sh")
    interpreter = words[0]
    if interpreter.endswith("/env") and len(words) > 1:
        found = inputs.fs.which(words[1], inputs.env.get("PATH", ""))
        if found is None:
            raise fail(f"interpreter {words[1]!r} not found on the container's PATH",
                       "install it in the image or change the #! line")
        return
    if not inputs.fs.is_executable_file(interpreter):
        raise fail(f"interpreter {interpreter} not found in the container",
                   "install it in the image or change the #! line")


def _require_shell(inputs: RichInputs, key: str) -> None:
    if not inputs.fs.is_executable_file("/bin/sh"):
        raise BundleError(f"service {inputs.name!r}: {key} needs /bin/sh in the container",
                          location=inputs.locate(key),
                          hint="use an image with a shell (busybox is enough)")


def inner_environment(inputs: RichInputs, extra: Mapping[str, str | None]) -> dict[str, str]:
    env = dict(inputs.env)
    for key, value in extra.items():
        if value is not None:
            env[key] = value
        elif key in inputs.host_env:
            env[key] = inputs.host_env[key]
    return env


def files_under(root: Path, files: Mapping[str, BundleFile]) -> None:
    """Writes generated files below root (the bundle's rich/ dir)."""
    for relative, item in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.text)
        target.chmod(item.mode)
