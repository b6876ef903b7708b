"""The normalised project as YAML or JSON, for `richcompose config`."""

from __future__ import annotations

import json
from typing import Any

import yaml

from richcompose.config.extensions import restore_extensions
from richcompose.config.models import Project
from richcompose.config.units import format_duration

# Durations are floats in the model; `config` prints them as written in files (`1m30s`).
_SERVICE_DURATIONS = ("stop_grace_period", "initscript_timeout")
_HEALTH_DURATIONS = ("interval", "timeout", "start_period", "start_interval")


def project_data(project: Project) -> dict[str, Any]:
    """Plain data: defaults left out so the output shows what the files say, normalised.

    A dependency always shows its condition and whether it is required, as compose prints it;
    a literal `$` in a value prints as `$$`, as a project file must write it.
    """
    data = project.model_dump(mode="json", exclude_defaults=True,
                              exclude={"directory", "include"})
    for name, service in project.services.items():
        _durations(data["services"][name])
        _as_compose_prints(data["services"][name])
        if service.depends_on:
            data["services"][name]["depends_on"] = {
                target: dep.model_dump(mode="json") for target, dep in service.depends_on.items()}
    restore_extensions(data, project.extensions)
    ordered: dict[str, Any] = {"name": project.name}
    ordered.update((k, v) for k, v in data.items() if k != "name")
    escaped: dict[str, Any] = _escape_dollars(ordered)
    return escaped


def _escape_dollars(value: Any) -> Any:
    """`$` → `$$` in values (keys are never interpolated), so the printed project is a valid
    project file that loads back to the same values."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_dollars(v) for v in value]
    return value


def _as_compose_prints(service: dict[str, Any]) -> None:
    """File modes as octal text (`"0440"`) and extra_hosts as sorted `host=ip` lines, as
    compose-go marshals them."""
    for key in ("secrets", "configs"):
        for ref in service.get(key, []):
            if isinstance(ref.get("mode"), int):
                ref["mode"] = f"0{ref['mode']:o}"
    if "extra_hosts" in service:
        service["extra_hosts"] = sorted(f"{host}={ip}" for host, ips in
                                        service["extra_hosts"].items() for ip in ips)


def _durations(service: dict[str, Any]) -> None:
    for key in _SERVICE_DURATIONS:
        if isinstance(service.get(key), float):
            service[key] = format_duration(service[key])
    for key in _HEALTH_DURATIONS:
        if isinstance(service.get("healthcheck", {}).get(key), float):
            service["healthcheck"][key] = format_duration(service["healthcheck"][key])
    for inner in service.get("system_services", {}).values():
        ready = inner.get("ready") or {}
        for key in ("timeout", "interval"):
            if isinstance(ready.get(key), float):
                ready[key] = format_duration(ready[key])


def dump_data(data: Any, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2)
    # The 1.1-aware dumper quotes `no`, `on`, `22:22`, so older YAML readers agree with ours.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=100)
    return text.rstrip("\n")


def dump_project(project: Project, fmt: str = "yaml") -> str:
    return dump_data(project_data(project), fmt)
