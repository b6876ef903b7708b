"""Which names a project may use, by compose's own rules plus what a safe path needs.

- Project names: compose-go's `^[a-z0-9][a-z0-9_-]*$` (loader.go, InvalidProjectNameErr;
  cli/options_test.go refuses "-my_project", "_my_project", "www.my.project", "MY_PROJECT").
- Service, network, volume, secret and config names: the compose-spec schema's
  `^[a-zA-Z0-9._-]+$` (schema/compose-spec.json patternProperties), without "." and ".."
  which that pattern lets through but which are no names on a disk.
- `container_name`: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$` (the schema's pattern, anchored as docker's
  daemon anchors it).
- Lengths: each of these becomes part of one path component (`<project>-<service>-<n>`,
  `anon-<container>-<hash>`), so each is at most MAX_NAME characters.
Hostnames, DNS values and aliases are checked in hostnames.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError

MAX_NAME = 100
PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
RESOURCE_NAME = re.compile(r"[a-zA-Z0-9._-]+")
CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
SECTIONS = ("services", "networks", "volumes", "secrets", "configs")
PROJECT_HINT = "use lowercase letters, digits, '-' and '_', starting with a letter or digit"


def project_name_problem(name: str) -> str | None:
    """None for a valid project name, else the error message (the hint is PROJECT_HINT)."""
    if len(name) > MAX_NAME:
        return f"invalid project name {shorten(name)!r}: longer than {MAX_NAME} characters"
    if not PROJECT_NAME.fullmatch(name):
        return f"invalid project name {name!r}"
    return None


def resource_name_problem(name: str) -> str | None:
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    if name in (".", ".."):
        return "a directory name, not a name"
    if not RESOURCE_NAME.fullmatch(name):
        return "only letters, digits, '.', '-' and '_' are allowed"
    return None


def check_project_name(name: str, *, source: str = "") -> str:
    """The name, or a one-line ConfigError naming where it came from (`-p`, a variable)."""
    problem = project_name_problem(name)
    if problem is not None:
        raise ConfigError(f"{problem} (from {source})" if source else problem,
                          hint=PROJECT_HINT)
    return name


def shorten(name: str) -> str:
    return name if len(name) <= 40 else f"{name[:40]}..."


def check_section_names(data: Mapping[str, Any], smap: SourceMap) -> None:
    """Every service/network/volume/secret/config key, and every container_name, before any
    of them is used: the error points at the key in the file."""
    for section in SECTIONS:
        body = data.get(section)
        if not isinstance(body, Mapping):
            continue
        for key, value in body.items():
            name = str(key)
            problem = resource_name_problem(name)
            if problem is not None:
                raise ConfigError(f"invalid {section[:-1]} name {shorten(name)!r}: {problem}",
                                  location=smap.locate((section, key), key=True),
                                  hint=f"rename it, e.g. {_suggest(name)!r}")
            if section == "services" and isinstance(value, Mapping):
                _check_container_name(name, value.get("container_name"), smap)


def _check_container_name(service: str, given: Any, smap: SourceMap) -> None:
    if given is None or not isinstance(given, str):
        return  # absent, or a type error pydantic reports
    if len(given) > MAX_NAME or not CONTAINER_NAME.fullmatch(given):
        raise ConfigError(f"invalid container_name {given[:40]!r} in service {service!r}",
                          location=smap.locate(("services", service, "container_name")),
                          hint="use letters, digits, '.', '-' and '_', starting with a letter "
                               f"or digit, at most {MAX_NAME} characters")


def _suggest(name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-")[:MAX_NAME]
    return cleaned or "web"
