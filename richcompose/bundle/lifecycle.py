"""Lifecycle hooks, decided from values: what `post_start` / `pre_stop` run inside the
service's container, and the one-off service a `pre_start` hook runs as.

As docker compose (pkg/compose/hook.go, pre_start.go): a post_start or pre_stop command is an
exec in the running container with the hook's user, privileged flag, working_dir and
environment (over the container's own); pre_start runs before the service's first container
starts, as a one-off container of the service's image (or the hook's `image`) with the
service's volumes and networks, the service's environment plus the hook's. The engine runs
them (runtime/lifecycle.py); this module only decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from richcompose.config.models import LifecycleHook, PreStartHook, Service
    from richcompose.errors import Location

HookKind = Literal["post_start", "pre_stop"]
LIFECYCLE_FILE = "lifecycle.json"  # beside config.json: what teardown needs without the project


@dataclass(frozen=True)
class HookCommand:
    """One post_start / pre_stop command as `runc exec` runs it."""

    kind: HookKind
    index: int
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    user: str = ""  # "uid:gid" (names resolved in the image), "" for the container's user
    cwd: str = ""  # "" for the container's working directory
    privileged: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind}[{self.index}]"


def hook_commands(service: Service, kind: HookKind, layers: Sequence[Path],
                  host_env: Mapping[str, str], location: Location | None = None
                  ) -> tuple[HookCommand, ...]:
    """The service's `post_start` or `pre_stop` list, users looked up in the image."""
    # Here, not at the top: stop and down read stored hook commands without the image code.
    from richcompose.bundle.process import resolve_user

    hooks: list[LifecycleHook] = service.post_start if kind == "post_start" else service.pre_stop
    out = []
    for index, hook in enumerate(hooks):
        user = ""
        if hook.user:
            uid, gid = resolve_user(hook.user, layers, location)
            user = f"{uid}:{gid}"
        out.append(HookCommand(kind, index, tuple(hook.command), _env(hook, host_env), user,
                               hook.working_dir or "", hook.privileged))
    return tuple(out)


def _env(hook: LifecycleHook, host_env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`KEY` without a value takes the shell's value, or is left out (as for the service)."""
    pairs = []
    for key, value in hook.environment.items():
        if value is None:
            value = host_env.get(key)
        if value is not None:
            pairs.append((key, value))
    return tuple(pairs)


def write_hook_commands(folder: Path, commands: Sequence[HookCommand]) -> None:
    (folder / LIFECYCLE_FILE).write_text(json.dumps([asdict(c) for c in commands], indent=1))


def read_hook_commands(folder: Path, kind: HookKind) -> list[HookCommand]:
    """The commands of one kind written at create time; none when the file is missing."""
    try:
        raw: list[dict[str, Any]] = json.loads((folder / LIFECYCLE_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [HookCommand(kind=item["kind"], index=int(item["index"]), args=tuple(item["args"]),
                        env=tuple((str(k), str(v)) for k, v in item.get("env", ())),
                        user=str(item.get("user", "")), cwd=str(item.get("cwd", "")),
                        privileged=bool(item.get("privileged", False)))
            for item in raw if item.get("kind") == kind]


def pre_start_service(service: Service, hook: PreStartHook) -> Service:
    """The one-off service that runs one pre_start hook, as docker compose creates it: the
    service's image (or the hook's), volumes and networks; the hook's command after the
    image's entrypoint (no command: the image's); the hook's user, else the service's (the
    image's when the hook names another image); the hook's working_dir, else the service's;
    the service's environment with the hook's over it; privileged only if the hook says so;
    nothing that belongs to the service's own container (published ports, a fixed name,
    hooks, health check, restarts, the rich init)."""
    env = {**service.environment, **hook.environment}
    return service.model_copy(update={
        "image": hook.image or service.image,
        "rootfs": None if hook.image else service.rootfs,
        "command": hook.command, "entrypoint": None,
        "user": hook.user or (None if hook.image else service.user),
        "working_dir": hook.working_dir or service.working_dir,
        "environment": env, "privileged": hook.privileged,
        "ports": [], "container_name": None, "pre_start": [], "post_start": [], "pre_stop": [],
        "healthcheck": None, "restart": "no", "scale": None, "deploy": None,
        "rich": False, "rich_mode": None, "initscript": None, "initcmd": None,
        "system_services": {}, "poststop": None,
    })
