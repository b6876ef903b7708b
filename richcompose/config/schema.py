"""JSON Schema of richcompose project files, generated from the pydantic models.

`python -m richcompose.config.schema > schemas/richcompose.schema.json` (or `make schema`);
a test fails when the committed file differs, so editors always see the keys the loader takes.
It describes what a user may *write*: short syntaxes are accepted where the loader accepts them.
"""

from __future__ import annotations

import json
from typing import Any

from richcompose.config.models import Project

_INTERNAL = ("directory",)  # filled in by the loader, never written by users


def project_schema() -> dict[str, Any]:
    schema = Project.model_json_schema(mode="validation")
    for key in _INTERNAL:
        schema["properties"].pop(key, None)
    schema.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "richcompose project file",
        "description": "A compose file (compose specification) with richcompose's rich "
                       "container keys: rich, rich_mode, initscript, initcmd, "
                       "initscript_timeout, system_services, rootfs.",
        **schema,
    }


def render() -> str:
    return json.dumps(project_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
