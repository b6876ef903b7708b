"""What starting a bundle takes besides config.json, written beside it as launch.json by the
bundle stage, so the runtime (first start, and every restart by the monitor) reads a typed
value instead of digging in the spec: a terminal, startContainer hooks to wait past (and whose
output to relay), a readiness marker the launcher drops once the system services are ready,
and for a VM how its boot is seen and how long it may take (runtime/boot.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from richcompose.bundle.names import (
    BOOT_ANNOTATION,
    BOOT_TIMEOUT_ANNOTATION,
    DEFAULT_BOOT_TIMEOUT,
    HOOK_OUTPUT,
    LAUNCHER_ANNOTATION,
    READY_MARKER,
    RUN_HOST_DIR,
)

Spec = dict[str, Any]  # as bundle.spec's: this module stays light (the monitor imports it)

FILE = "launch.json"


@dataclass(frozen=True)
class LaunchPlan:
    terminal: bool = False  # conmon owns a pty (systemd's console) and logs it
    start_hooks: bool = False  # startContainer hooks run after `runc start`: wait past them
    readiness_timeout: float | None = None  # seconds the system services may take
    run_dir: str = RUN_HOST_DIR  # bundle-relative; the container's rich run dir
    ready_marker: str = READY_MARKER  # in run_dir
    hook_output: str = HOOK_OUTPUT  # in run_dir: hook output PID 1's stdout could not take
    boot_kind: str | None = None  # a VM: `systemd` or `inittab` (bundle/vm.py)
    boot_timeout: float = float(DEFAULT_BOOT_TIMEOUT)  # seconds a VM's boot may take

    @classmethod
    def of_spec(cls, spec: Spec) -> LaunchPlan:
        annotations = spec.get("annotations", {})
        timeout = annotations.get(LAUNCHER_ANNOTATION)
        boot_timeout = annotations.get(BOOT_TIMEOUT_ANNOTATION)
        return cls(terminal=bool(spec.get("process", {}).get("terminal")),
                   start_hooks=bool(spec.get("hooks", {}).get("startContainer")),
                   readiness_timeout=None if timeout is None else float(timeout),
                   boot_kind=str(annotations[BOOT_ANNOTATION])
                   if annotations.get(BOOT_ANNOTATION) else None,
                   boot_timeout=float(boot_timeout) if boot_timeout
                   else float(DEFAULT_BOOT_TIMEOUT))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LaunchPlan:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def read_launch_plan(bundle_dir: Path) -> LaunchPlan:
    """The bundle's launch plan; a bundle rendered before launch.json existed gets one made
    from its config.json."""
    try:
        return LaunchPlan.from_json(json.loads((bundle_dir / FILE).read_bytes()))
    except FileNotFoundError:
        return LaunchPlan.of_spec(json.loads((bundle_dir / "config.json").read_bytes()))
