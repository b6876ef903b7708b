"""Jinja2 rendering of the generated scripts and units in bundle/templates/."""

from __future__ import annotations

import shlex
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2


def _systemd_quote(value: str) -> str:
    """One word of a unit file command line or Environment= assignment, quoted for systemd:
    backslash and double quote escaped, % and $ doubled so systemd expands neither."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return '"' + escaped.replace("$", "$$") + '"'


@cache
def _environment() -> jinja2.Environment:
    """One environment a process: it compiles each template once."""
    import jinja2  # only bundles with generated scripts or units pay for it

    env = jinja2.Environment(loader=jinja2.PackageLoader("richcompose.bundle", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["shquote"] = lambda v: shlex.quote(str(v))
    env.filters["sdquote"] = lambda v: _systemd_quote(str(v))
    return env


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


def compile_all() -> None:
    """Every template compiled now (a warm server does it before it forks)."""
    env = _environment()
    for name in env.list_templates():
        env.get_template(name)


def systemd_command(argv: list[str]) -> str:
    return " ".join(_systemd_quote(arg) for arg in argv)


def systemd_environment(env: dict[str, str]) -> list[str]:
    return [_systemd_quote(f"{key}={value}").replace("$$", "$") for key, value in env.items()]
