"""The normalised project as YAML or JSON, for `richcompose config`."""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML

from richcompose.config.models import Project


def project_data(project: Project) -> dict[str, Any]:
    """Plain data: defaults left out so the output shows what the files say, normalised."""
    data = project.model_dump(mode="json", exclude_defaults=True, exclude={"directory"})
    data["name"] = project.name
    ordered = {"name": data.pop("name")}
    ordered.update(data)
    return ordered


def dump_project(project: Project, fmt: str = "yaml") -> str:
    data = project_data(project)
    if fmt == "json":
        return json.dumps(data, indent=2)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue().rstrip("\n")
