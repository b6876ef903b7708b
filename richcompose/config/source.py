"""Parse stage: YAML text → plain data, with every value's file:line:column kept in a SourceMap.

libyaml (through PyYAML) builds the node tree, which is ~20x faster than ruamel's round-trip
loader on a 1,000-service file; scalars are then resolved here with the YAML 1.2 core schema,
as compose-go reads them: `no`, `on` and `22:22` stay strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from richcompose.errors import ConfigError, Location

PathKey = tuple[str | int, ...]
_GROUP = 2  # positions are indexed by their first two path parts: ('services', 'web')
Pos = tuple[str, int, int]  # (file, line, column): a Location, stored cheaply (50,000 per big file)

MERGE_TAGS = ("!reset", "!override")


@dataclass
class SourceMap:
    """Maps a path into the document (('services', 'app', 'command')) to where it was written.

    `keys` holds the position of a mapping key, `values` the position of its value; errors about
    an unknown key point at the key, errors about a bad value at the value.
    """

    keys: dict[PathKey, Pos] = field(default_factory=dict)
    values: dict[PathKey, Pos] = field(default_factory=dict)
    _index: dict[PathKey, set[tuple[bool, PathKey]]] | None = field(
        default=None, repr=False, compare=False)

    def locate(self, path: PathKey, *, key: bool = False) -> Location | None:
        """The closest known position for `path`, walking up to its parents."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return Location(*table[probe])
            if probe in self.keys:
                return Location(*self.keys[probe])
            probe = probe[:-1]
        root = self.values.get(())
        return Location(*root) if root else None

    def update(self, other: SourceMap) -> None:
        for is_key, table in ((True, other.keys), (False, other.values)):
            for path, loc in table.items():
                self._put(is_key, path, loc)

    def subtree(self, src: PathKey) -> list[tuple[bool, PathKey, Pos]]:
        """Positions under `src` as (is_key, path below src, location)."""
        n = len(src)
        if n >= _GROUP:
            candidates: Iterable[tuple[bool, PathKey]] = self._groups().get(src[:_GROUP], ())
        else:
            candidates = [(True, p) for p in self.keys] + [(False, p) for p in self.values]
        return [(is_key, path[n:], (self.keys if is_key else self.values)[path])
                for is_key, path in list(candidates) if path[:n] == src]

    def put_subtree(self, entries: list[tuple[bool, PathKey, Pos]], dst: PathKey, *,
                    overwrite: bool = True) -> None:
        for is_key, rel, loc in entries:
            path = (*dst, *rel)
            if overwrite or path not in (self.keys if is_key else self.values):
                self._put(is_key, path, loc)

    def copy_subtree(self, source: SourceMap, src: PathKey, dst: PathKey, *,
                     overwrite: bool = True) -> None:
        """Records under `dst` the positions `source` has under `src` (a value that moved)."""
        self.put_subtree(source.subtree(src), dst, overwrite=overwrite)

    def _put(self, is_key: bool, path: PathKey, loc: Pos) -> None:
        (self.keys if is_key else self.values)[path] = loc
        if self._index is not None and len(path) >= _GROUP:
            self._index.setdefault(path[:_GROUP], set()).add((is_key, path))

    def _groups(self) -> dict[PathKey, set[tuple[bool, PathKey]]]:
        # Built on first use (after parsing), then kept current by _put: moving one service's
        # positions (extends, include, merged lists) then costs that service's size, not the file's.
        if self._index is None:
            self._index = {}
            for is_key, table in ((True, self.keys), (False, self.values)):
                for path in table:
                    if len(path) >= _GROUP:
                        self._index.setdefault(path[:_GROUP], set()).add((is_key, path))
        return self._index


@dataclass(frozen=True)
class Tagged:
    """A value carrying compose's merge tag (`!reset` or `!override`)."""

    tag: str
    value: Any


_STR = "tag:yaml.org,2002:str"
_PLAIN = "tag:richcompose,2026:plain"
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_GO_OCT = re.compile(r"^0[0-7]+$")  # `mode: 0440`: compose's Go YAML reads a leading 0 as octal
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Composes nodes only; no implicit YAML 1.1 typing (scalars are resolved below)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Untagged plain scalars get a tag of our own, so `!!str 5` stays distinguishable.
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)



_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar as the YAML 1.2 core schema reads it."""
    if text and text[0] not in _MAYBE_TYPED:
        return text  # most values (images, commands, names) are strings: skip the checks
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _GO_OCT.match(text):
        return int(text, 8)
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if text in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
        return math.inf
    if text in ("-.inf", "-.Inf", "-.INF"):
        return -math.inf
    if text in (".nan", ".NaN", ".NAN"):
        return math.nan
    return text


class _Builder:
    """Turns a node tree into plain dict/list/scalars, recording positions as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.smap = SourceMap()

    def loc(self, node: Node) -> Pos:
        mark = node.start_mark
        return (self.file, mark.line + 1, mark.column + 1)

    def location(self, node: Node) -> Location:
        return Location(*self.loc(node))

    def build(self, node: Node, path: PathKey) -> Any:
        if isinstance(node, MappingNode):
            value: Any = self.mapping(node, path)
        elif isinstance(node, SequenceNode):
            value = [self._item(child, (*path, i)) for i, child in enumerate(node.value)]
        else:
            assert isinstance(node, ScalarNode)
            value = self.scalar(node)
        return Tagged(node.tag, value) if node.tag in MERGE_TAGS else value

    def _item(self, node: Node, path: PathKey) -> Any:
        self.smap.values[path] = self.loc(node)
        return self.build(node, path)

    def mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style:
                merged.extend(self._merge_sources(value_node))
                continue
            key = self._key(key_node)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise ConfigError(f"duplicate key {key!r} (first defined on line {first})",
                                  location=self.location(key_node), hint="remove one of the two")
            seen[key] = key_node
            sub = (*path, key)
            self.smap.keys[sub] = self.loc(key_node)
            self.smap.values[sub] = self.loc(value_node)
            out[key] = self.build(value_node, sub)
        # YAML merge keys (`<<: *defaults`): keys written in this mapping win over merged ones.
        for source in merged:
            for key, value in self.mapping(source, path).items():
                out.setdefault(key, value)
        return out

    def _merge_sources(self, node: Node) -> list[MappingNode]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        for item in nodes:
            if not isinstance(item, MappingNode):
                raise ConfigError("a merge key (<<) takes a mapping or a list of mappings",
                                  location=self.location(item), hint="use <<: *anchor of a mapping")
        return list(nodes)

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise ConfigError("a mapping key must be a plain value, not a list or mapping",
                              location=self.location(node), hint="quote the key")
        value = self.scalar(node)
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    def scalar(self, node: ScalarNode) -> Any:
        text = str(node.value)
        tag = node.tag
        if tag in MERGE_TAGS:
            return resolve_plain(text) if not node.style else text
        if tag == _PLAIN:
            return resolve_plain(text)
        if tag == _STR:
            return text
        if tag.endswith(":int"):
            return _explicit(int, text, node, self)
        if tag.endswith(":float"):
            return _explicit(float, text, node, self)
        if tag.endswith(":bool"):
            return text.lower() == "true"
        if tag.endswith(":null"):
            return None
        return text


def _explicit(kind: type, text: str, node: Node, builder: _Builder) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a valid {kind.__name__}",
                          location=builder.location(node)) from None


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parses one YAML document; returns plain data and where each part was written."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", location=loc,
                          hint="fix the YAML syntax at this position") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", location=Location(file)) from None
    except RecursionError:
        raise ConfigError("YAML nested too deeply", location=Location(file)) from None
    builder = _Builder(file)
    builder.smap.values[()] = (file, 1, 1)
    if node is None:
        return None, builder.smap
    try:
        return builder.build(node, ()), builder.smap
    except RecursionError:
        raise ConfigError("YAML nested too deeply (or an alias refers to itself)",
                          location=Location(file)) from None


def read_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}",
                          hint="check the -f path or run from the project directory") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a project file",
                          hint="pass the YAML file itself with -f") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_yaml(text, str(path))
