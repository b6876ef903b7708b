"""`.env` and `env_file:` files in compose's format.

`KEY=value` lines, optional `export `, `#` comments (inline after a space in unquoted values),
single quotes literal, double quotes with `\\n`-style escapes, both may span lines. Unquoted and
double-quoted values are interpolated from the variables above them, then from `environ`.
A bare `KEY` line takes KEY from `environ` (left out when unset).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from richcompose.config.files import read_text
from richcompose.config.interpolate import Template, TemplateError
from richcompose.errors import ConfigError, Location

_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:([=:])\s*)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$$"}


class _Lookup(Mapping[str, str]):
    """Variables defined earlier in the file first, then the outer environment."""

    def __init__(self, local: dict[str, str], outer: Mapping[str, str]) -> None:
        self.local, self.outer = local, outer

    def __getitem__(self, key: str) -> str:
        return self.local[key] if key in self.local else self.outer[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter({**self.outer, **self.local})

    def __len__(self) -> int:
        return len({**self.outer, **self.local})


def parse_dotenv(text: str, file: str, environ: Mapping[str, str] | None = None,
                 *, interpolate: bool = True) -> dict[str, str]:
    environ = environ or {}
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _KEY.match(line)
        if not match:
            raise ConfigError(f"cannot read line {lineno} of {file}: {stripped!r}",
                              location=Location(file, lineno, 1),
                              hint="lines are KEY=value, # comments or empty")
        key, sep = match.group(1), match.group(2)
        rest = line[match.end():]
        if not sep:
            if rest.strip() and not rest.strip().startswith("#"):
                raise ConfigError(f"cannot read line {lineno} of {file}: {stripped!r}",
                                  location=Location(file, lineno, 1), hint="write KEY=value")
            if key in environ:
                out[key] = environ[key]
            continue
        quote = rest[:1]
        if quote in ("'", '"'):
            body = rest[1:]
            while not _closed(body, quote):
                if i >= len(lines):
                    raise ConfigError(f"unclosed {quote} quote for {key}",
                                      location=Location(file, lineno, match.end() + 1),
                                      hint=f"close the value with {quote}")
                body += "\n" + lines[i]
                i += 1
            value = body[:_closing(body, quote)]
            if quote == "'":
                out[key] = value
                continue
            value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)
        else:
            value = re.split(r"\s#", rest, maxsplit=1)[0].strip()
        if interpolate:
            try:
                value = Template(_Lookup(out, environ)).substitute(value)
            except TemplateError as exc:
                raise ConfigError(f"{key}: {exc}", location=Location(file, lineno, 1),
                                  hint=exc.hint) from None
        out[key] = value
    return out


def _closing(body: str, quote: str) -> int:
    i = 0
    while i < len(body):
        if body[i] == "\\" and quote == '"':
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return -1


def _closed(body: str, quote: str) -> bool:
    return _closing(body, quote) >= 0


def read_dotenv(path: Path, environ: Mapping[str, str] | None = None,
                *, location: Location | None = None) -> dict[str, str]:
    text = read_text(path, what="env file", location=location,
                     missing_hint="create it, fix the path, or mark it `required: false`")
    return parse_dotenv(text, str(path), environ)
