"""Health checks as docker runs them: a probe command inside the container every `interval`
(`start_interval` during `start_period`), `retries` consecutive failures make it unhealthy,
failures during the start period do not count. Pure state transitions plus one probe runner."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from richcompose.runtime.oci import OCIRuntime

MAX_OUTPUT = 4096  # docker keeps this much of each probe's output
KEEP_PROBES = 5  # and this many probes
DEFAULTS = {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0,
            "start_interval": 5.0}


@dataclass(frozen=True)
class HealthSpec:
    """A resolved health check: the argv to exec and its timings in seconds."""

    argv: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 5.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "argv": list(self.argv)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HealthSpec:
        return cls(**{**data, "argv": tuple(data["argv"])})


def argv_of(test: list[str]) -> tuple[str, ...] | None:
    """CMD runs its arguments, CMD-SHELL runs one string with /bin/sh -c, NONE disables."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return tuple(test[1:]) or None
    if test[0] == "CMD-SHELL":
        return ("/bin/sh", "-c", " ".join(test[1:]))
    return ("/bin/sh", "-c", " ".join(test))  # a bare string, as compose treats it


def from_image(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Docker's image `Healthcheck` (durations in ns, 0 = default) as our field names."""
    if not config:
        return {}
    out: dict[str, Any] = {}
    if config.get("Test"):
        out["test"] = list(config["Test"])
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"),
                      ("StartPeriod", "start_period"), ("StartInterval", "start_interval")):
        if config.get(key):
            out[name] = int(config[key]) / 1e9
    if config.get("Retries"):
        out["retries"] = int(config["Retries"])
    return out


def resolve(service: Mapping[str, Any] | None, image: Mapping[str, Any] | None) -> HealthSpec | None:
    """The service's keys (only those it set) override the image's; no test means no check."""
    merged = {**from_image(image), **(service or {})}
    if merged.pop("disable", False):
        return None
    argv = argv_of(list(merged.pop("test", None) or []))
    if argv is None:
        return None
    def pick(key: str) -> float:
        return float(merged.get(key) or DEFAULTS[key])

    return HealthSpec(argv=argv, interval=pick("interval"), timeout=pick("timeout"),
                      retries=int(pick("retries")), start_period=pick("start_period"),
                      start_interval=pick("start_interval"))


@dataclass(frozen=True)
class Probe:
    start: float
    end: float
    exit_code: int
    output: str


@dataclass(frozen=True)
class HealthState:
    status: str = "starting"  # starting, healthy, unhealthy
    failing_streak: int = 0
    log: tuple[Probe, ...] = field(default_factory=tuple)

    def record(self, probe: Probe, spec: HealthSpec, *, in_start_period: bool) -> HealthState:
        log = (*self.log, probe)[-KEEP_PROBES:]
        if probe.exit_code == 0:
            return HealthState("healthy", 0, log)
        if in_start_period and self.status == "starting":
            return replace(self, log=log)  # docker: failures in the start period do not count
        streak = self.failing_streak + 1
        status = "unhealthy" if streak >= spec.retries else self.status
        return HealthState(status, streak, log)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "failing_streak": self.failing_streak,
                "log": [asdict(p) for p in self.log]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HealthState:
        return cls(str(data.get("status", "starting")), int(data.get("failing_streak", 0)),
                   tuple(Probe(**p) for p in data.get("log", [])))


def next_delay(spec: HealthSpec, state: HealthState, *, in_start_period: bool) -> float:
    """start_interval while the container is still starting inside its start period."""
    if in_start_period and state.status == "starting":
        return spec.start_interval
    return spec.interval


def next_probe_at(last_start: float, spec: HealthSpec, state: HealthState, *,
                  in_start_period: bool) -> float:
    """When the next probe starts: `interval` (or `start_interval`) after the last one
    *started*, so a probe's own run time does not stretch the period. The first probe counts
    from the container's start."""
    return last_start + next_delay(spec, state, in_start_period=in_start_period)


def run_probe(runtime: OCIRuntime, container_id: str, spec: HealthSpec) -> Probe:
    start = time.time()
    try:
        proc = runtime.exec(container_id, list(spec.argv), timeout=spec.timeout)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        code, output = -1, f"Health check exceeded timeout ({spec.timeout:g}s)"
    return Probe(start=start, end=time.time(), exit_code=code, output=output[:MAX_OUTPUT])
