"""Parsing YAML with positions: every value's file:line:column is kept in a SourceMap."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from richcompose.errors import ConfigError, Location

PathKey = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Maps a path into the document (('services', 'app', 'command')) to where it was written.

    `keys` holds the position of a mapping key, `values` the position of its value; errors about
    an unknown key point at the key, errors about a bad value at the value.
    """

    keys: dict[PathKey, Location] = field(default_factory=dict)
    values: dict[PathKey, Location] = field(default_factory=dict)

    def locate(self, path: PathKey, *, key: bool = False) -> Location | None:
        """The closest known position for `path`, walking up to its parents."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), None)

    def update(self, other: SourceMap) -> None:
        self.keys.update(other.keys)
        self.values.update(other.values)


def _yaml() -> YAML:
    # Round-trip mode keeps line/column; YAML 1.2 keeps `22:22`, `no`, `on` as strings like compose-go.
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)  # type: ignore[assignment]
    yaml.allow_duplicate_keys = False
    return yaml


def _plain(node: Any, path: PathKey, file: str, smap: SourceMap) -> Any:
    """Turns ruamel's round-trip nodes into plain dict/list/scalars, recording positions."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            skey = str(key) if not isinstance(key, str) else key
            sub = (*path, skey)
            try:
                kl, kc = node.lc.key(key)
                smap.keys[sub] = Location(file, kl + 1, kc + 1)
                vl, vc = node.lc.value(key)
                smap.values[sub] = Location(file, vl + 1, vc + 1)
            except (KeyError, TypeError, IndexError):
                pass
            out[skey] = _plain(value, sub, file, smap)
        tag = getattr(node, "tag", None)
        if tag is not None and getattr(tag, "value", None) in ("!reset", "!override"):
            return Tagged(tag.value, out)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            sub = (*path, index)
            try:
                line, col = node.lc.item(index)
                smap.values[sub] = Location(file, line + 1, col + 1)
            except (KeyError, TypeError, IndexError):
                pass
            items.append(_plain(value, sub, file, smap))
        tag = getattr(node, "tag", None)
        if tag is not None and getattr(tag, "value", None) in ("!reset", "!override"):
            return Tagged(tag.value, items)
        return items
    tag = getattr(node, "tag", None)
    if tag is not None and getattr(tag, "value", None) in ("!reset", "!override"):
        return Tagged(tag.value, _scalar(node))
    return _scalar(node)


def _scalar(node: Any) -> Any:
    # ruamel returns str subclasses (ScalarString, TaggedScalar); hand plain Python types onwards.
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if hasattr(node, "value") and not isinstance(node, str):  # TaggedScalar
        return str(node.value)
    return str(node) if isinstance(node, str) else node


@dataclass(frozen=True)
class Tagged:
    """A value carrying compose's merge tag (`!reset` or `!override`)."""

    tag: str
    value: Any


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parses one YAML document; returns plain data and where each part was written."""
    smap = SourceMap()
    try:
        node = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", location=loc,
                          hint="fix the YAML syntax at this position") from None
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", location=Location(file)) from None
    smap.values[()] = Location(file, 1, 1)
    return _plain(node, (), file, smap), smap


def read_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}",
                          hint="check the -f path or run from the project directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_yaml(text, str(path))
