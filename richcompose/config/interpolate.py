"""Interpolate stage: `${VAR}` in values (never keys), as the compose specification defines it.

Supported: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
`${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nesting inside the default/alt/error part, and
`$$` for a literal `$`. A malformed `${...}` is an error; a `$` before anything but a name,
`{` or `$` (`$(cmd)`, `$1`) stays as written, as in compose-go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from richcompose.config.source import PathKey, SourceMap, Tagged
from richcompose.errors import ConfigError, ConfigWarning, Location

_NAME_START = frozenset("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class TemplateError(ValueError):
    """A malformed `$` expression or a required variable that is missing; located by the caller."""

    def __init__(self, message: str, hint: str, name: str = "") -> None:
        super().__init__(message)
        self.hint = hint
        self.name = name  # the variable concerned, so the column can point at it


@dataclass
class Template:
    """Substitutes variables from `environ`; names of unset variables land in `missing`."""

    environ: Mapping[str, str]
    missing: list[str] = field(default_factory=list)

    def substitute(self, text: str) -> str:
        if "$" not in text:
            return text
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = text.find("$", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            nxt = text[j + 1] if j + 1 < n else ""
            if nxt == "$":
                out.append("$")
                i = j + 2
            elif nxt == "{":
                end = _closing_brace(text, j + 2)
                out.append(self._braced(text[j + 2:end], text))
                i = end + 1
            elif nxt in _NAME_START:
                k = j + 1
                while k < n and text[k] in _NAME_CHARS:
                    k += 1
                out.append(self._lookup(text[j + 1:k]))
                i = k
            else:
                # As compose-go: a `$` before anything else (`$(cmd)`, `$1`, end) stays as written.
                out.append("$")
                i = j + 1
        return "".join(out)

    def _lookup(self, name: str) -> str:
        value = self.environ.get(name)
        if value is None:
            self.missing.append(name)
            return ""
        return value

    def _braced(self, body: str, whole: str) -> str:
        k = 0
        while k < len(body) and body[k] in _NAME_CHARS:
            k += 1
        name, rest = body[:k], body[k:]
        if not name or name[0] not in _NAME_START:
            raise TemplateError(f"invalid interpolation in {whole!r}: '${{{body}}}' has no "
                                "valid variable name", "use ${NAME}, names are letters, digits, _")
        if not rest:
            return self._lookup(name)
        op = next((o for o in _OPERATORS if rest.startswith(o)), None)
        if op is None:
            raise TemplateError(f"invalid interpolation in {whole!r}: unknown operator in "
                                f"'${{{body}}}'", "operators are :- - :? ? :+ +")
        arg = rest[len(op):]
        value = self.environ.get(name)
        is_set, non_empty = value is not None, bool(value)
        present = non_empty if op.startswith(":") else is_set
        if op in (":-", "-"):
            return value if present and value is not None else self.substitute(arg)
        if op in (":+", "+"):
            return self.substitute(arg) if present else ""
        if present and value is not None:
            return value
        reason = self.substitute(arg)
        # The file's own words say what to do when it gives them; otherwise a generic hint.
        raise TemplateError(f"required variable {name} is missing a value"
                            + (f": {reason}" if reason else ""),
                            "" if reason else f"set {name} in the environment or in .env", name)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` that closes the `${` opened just before `start`. As compose-go, every
    `{` inside opens a pair, so a default may hold JSON: `${J:-{"a":1}}`."""
    depth, i = 1, start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text[i] == "{":
            depth += 1
            i += 1
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise TemplateError(f"invalid interpolation in {text!r}: '${{' is never closed",
                        "close it with } or write $$ for a literal $")


def interpolate(data: Any, smap: SourceMap, environ: Mapping[str, str],
                warn: Callable[[ConfigWarning], None]) -> Any:
    """Returns `data` with every string value substituted; keys are left as written."""
    template = Template(environ)
    warned: set[str] = set()

    def walk(value: Any, path: PathKey) -> Any:
        if isinstance(value, str):
            try:
                result = template.substitute(value)
            except TemplateError as exc:
                raise ConfigError(str(exc), location=_pinpoint(smap.locate(path), exc.name),
                                  hint=exc.hint) from None
            for name in template.missing:
                if name not in warned:
                    warned.add(name)
                    warn(ConfigWarning(f"variable {name} is not set, using an empty string",
                                       location=_pinpoint(smap.locate(path), name) or Location(""),
                                       hint=f"set {name} or give a default: ${{{name}:-value}}"))
            template.missing.clear()
            return result
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, Tagged):
            return Tagged(value.tag, walk(value.value, path))
        return value

    return walk(data, ())


def _pinpoint(location: Location | None, name: str) -> Location | None:
    """The column of `$NAME`/`${NAME` on the value's first line, when it is there; positions
    are kept per value, and a long value needs the exact column to be useful."""
    if location is None or not location.line:
        return location
    try:
        with open(location.file, encoding="utf-8") as handle:
            for _ in range(location.line - 1):
                handle.readline()
            line = handle.readline()
    except (OSError, UnicodeDecodeError):
        return location
    start = max(location.column - 1, 0)
    needles = (f"${{{name}", f"${name}") if name else ("${",)
    found = [i for i in (line.find(n, start) for n in needles) if i >= 0]
    return Location(location.file, location.line, min(found) + 1) if found else location
