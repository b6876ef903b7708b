"""The normalised project as YAML or JSON, for `richcompose config`."""

from __future__ import annotations

import json
from typing import Any

import yaml

from richcompose.config.models import Project


def project_data(project: Project) -> dict[str, Any]:
    """Plain data: defaults left out so the output shows what the files say, normalised.

    A dependency always shows its condition and whether it is required, as compose prints it.
    """
    data = project.model_dump(mode="json", exclude_defaults=True,
                              exclude={"directory", "include"})
    for name, service in project.services.items():
        if service.depends_on:
            data["services"][name]["depends_on"] = {
                target: dep.model_dump(mode="json") for target, dep in service.depends_on.items()}
    ordered: dict[str, Any] = {"name": project.name}
    ordered.update((k, v) for k, v in data.items() if k != "name")
    return ordered


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
