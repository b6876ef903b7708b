"""Parse stage: YAML text → plain data, with every key's and value's file:line:column recorded
in a SourceMap.

Built straight from libyaml's event stream (through PyYAML's C parser): no node tree, which
costs several times the parse itself on a big file. Scalars are resolved with the YAML 1.2 core
schema, as compose-go reads them: `no`, `on` and `22:22` stay strings; a leading-zero number is
octal as in Go's YAML (`mode: 0440`). Anchors, aliases and merge keys (`<<`) work; every alias
gets its own copy, so later stages may change one use without touching the others.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from richcompose.config.files import read_text
from richcompose.config.source import MERGE_TAGS, PathKey, Pos, SourceMap, Tagged
from richcompose.errors import ConfigError, Location

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_GO_OCT = re.compile(r"^0[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL = {"": None, "~": None, "null": None, "Null": None, "NULL": None,
            "true": True, "True": True, "TRUE": True, "false": False, "False": False,
            "FALSE": False, ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
            "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf, "-.inf": -math.inf,
            "-.Inf": -math.inf, "-.INF": -math.inf, ".nan": math.nan, ".NaN": math.nan,
            ".NAN": math.nan}


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar as the YAML 1.2 core schema reads it."""
    if text and text[0] not in _MAYBE_TYPED:
        return text  # most values (images, commands, names) are strings: skip the checks
    if text in _SPECIAL:
        return _SPECIAL[text]
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
    return text


Entries = list[tuple[bool, PathKey, Pos]]

# Bounds on alias expansion (a 665-byte "billion laughs" file otherwise grows without limit).
# Each alias use costs the number of keys and values it copies; real files stay far below
# (a 1,000-service file with `<<: *defaults` of 20 keys costs 20,000).
MAX_ALIASES = 10_000
MAX_ALIAS_EXPANSION = 100_000


class _Builder:
    """Consumes the events of one document, building values and recording positions."""

    def __init__(self, file: str, events: Iterator[Event]) -> None:
        self.file = file
        self.events = events
        self.smap = SourceMap()
        self.anchors: dict[str, tuple[Any, Entries]] = {}
        self.recording: list[tuple[int, Entries]] = []  # open anchors: (path length, entries)
        self.aliases = 0
        self.expanded = 0  # keys and values copied by aliases so far

    def pos(self, event: Event) -> Pos:
        mark = event.start_mark
        return (self.file, mark.line + 1, mark.column + 1) if mark else (self.file, 0, 0)

    def location(self, event: Event) -> Location:
        return Location(*self.pos(event))

    def record(self, is_key: bool, path: PathKey, pos: Pos) -> None:
        (self.smap.keys if is_key else self.smap.values)[path] = pos
        for depth, entries in self.recording:
            entries.append((is_key, path[depth:], pos))

    def value(self, event: Event, path: PathKey) -> Any:
        """The value starting with `event`; its own position is recorded by the caller."""
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise ConfigError(f"unknown alias *{event.anchor}", location=self.location(event),
                                  hint=f"define &{event.anchor} before using it")
            value, entries = self.anchors[event.anchor]
            self.charge(event, entries)
            for is_key, rel, pos in entries:
                self.record(is_key, (*path, *rel), pos)
            return copy.deepcopy(value)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self.recording.append((len(path), []))
        if isinstance(event, ScalarEvent):
            value = self.scalar(event)
        elif isinstance(event, SequenceStartEvent):
            value = self.sequence(path)
        elif isinstance(event, MappingStartEvent):
            value = self.mapping(path)
        else:
            raise ConfigError("unexpected YAML structure", location=self.location(event))
        if event.tag in MERGE_TAGS:
            value = Tagged(event.tag, value)
        if anchor:
            self.anchors[anchor] = (value, self.recording.pop()[1])
        return value

    def charge(self, event: Event, entries: Entries) -> None:
        """Counts one alias use against the bounds; past them the file is refused."""
        self.aliases += 1
        self.expanded += max(1, len(entries))
        if self.aliases > MAX_ALIASES:
            raise ConfigError(f"more than {MAX_ALIASES} YAML aliases", location=self.location(event),
                              hint="use fewer aliases (*name); is this an alias bomb?")
        if self.expanded > MAX_ALIAS_EXPANSION:
            raise ConfigError(f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} keys and "
                              "values", location=self.location(event),
                              hint="aliases of aliases multiply; is this an alias bomb?")

    def sequence(self, path: PathKey) -> list[Any]:
        items: list[Any] = []
        for event in self.events:
            if isinstance(event, SequenceEndEvent):
                return items
            sub = (*path, len(items))
            self.record(False, sub, self.pos(event))
            items.append(self.value(event, sub))
        raise ConfigError("unexpected end of YAML", location=Location(self.file))

    def mapping(self, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        written: dict[str, int] = {}
        merged: list[tuple[Any, Entries]] = []
        for event in self.events:
            if isinstance(event, MappingEndEvent):
                break
            if isinstance(event, ScalarEvent) and event.value == "<<" and event.implicit[0]:
                merged.extend(self._merge_sources(next(self.events), path))
                continue
            key = self.key(event)
            if key in written:
                raise ConfigError(f"duplicate key {key!r} (first defined on line {written[key]})",
                                  location=self.location(event), hint="remove one of the two")
            written[key] = self.pos(event)[1]
            sub = (*path, key)
            self.record(True, sub, self.pos(event))
            value_event = next(self.events)
            self.record(False, sub, self.pos(value_event))
            out[key] = self.value(value_event, sub)
        # YAML merge keys (`<<: *defaults`): keys written in this mapping win over merged ones.
        for source, entries in merged:
            for key, value in source.items():
                if key not in out:
                    out[key] = copy.deepcopy(value)
                    for is_key, rel, pos in entries:
                        if rel[:1] == (key,):
                            self.record(is_key, (*path, *rel), pos)
        return out

    def _merge_sources(self, event: Event, path: PathKey) -> list[tuple[Any, Entries]]:
        events = [event]
        if isinstance(event, SequenceStartEvent):
            events = []
            for item in self.events:
                if isinstance(item, SequenceEndEvent):
                    break
                events.append(item)
        sources = []
        for item in events:
            if isinstance(item, AliasEvent) and item.anchor in self.anchors:
                self.charge(item, self.anchors[item.anchor][1])
                sources.append(self.anchors[item.anchor])
            elif isinstance(item, MappingStartEvent):
                sources.append((self.mapping(path), []))  # inline: positions recorded in place
            else:
                raise ConfigError("a merge key (<<) takes an alias of a mapping, or a list of them",
                                  location=self.location(item), hint="use <<: *anchor")
        for source, _ in sources:
            if not isinstance(source, dict):
                raise ConfigError("a merge key (<<) must refer to a mapping",
                                  location=self.location(event), hint="anchor a mapping (&name)")
        return sources

    def key(self, event: Event) -> str:
        if isinstance(event, AliasEvent) and event.anchor in self.anchors:
            value = self.anchors[event.anchor][0]
        elif isinstance(event, ScalarEvent):
            value = self.scalar(event)
        else:
            raise ConfigError("a mapping key must be a plain value, not a list or mapping",
                              location=self.location(event), hint="quote the key")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list | Tagged):
            raise ConfigError("a mapping key must be a plain value", location=self.location(event),
                              hint="quote the key")
        return "" if value is None else str(value)

    def scalar(self, event: ScalarEvent) -> Any:
        text, tag = event.value, event.tag
        plain = event.implicit[0] and not event.style
        if tag is None or tag == "!" or tag in MERGE_TAGS:
            return resolve_plain(text) if plain and tag != "!" else text
        if tag.endswith(":str"):
            return text
        if tag.endswith(":null"):
            return None
        if tag.endswith(":bool"):
            return text.lower() == "true"
        kind: type = int if tag.endswith(":int") else float if tag.endswith(":float") else str
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(f"{text!r} is not a valid {kind.__name__}",
                              location=self.location(event)) from None


def _document(builder: _Builder) -> Any:
    """The one document of the stream (None when there is none)."""
    value: Any = None
    documents = 0
    for event in builder.events:
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ConfigError("a project file holds one YAML document, this is a second one",
                                  location=builder.location(event),
                                  hint="remove the --- line, or split the file and pass -f twice")
            first = next(builder.events)
            if isinstance(first, DocumentEndEvent):
                continue  # an empty document
            builder.record(False, (), builder.pos(first))
            value = builder.value(first, ())
        elif isinstance(event, StreamEndEvent):
            break
    return value


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parses one YAML document; returns plain data and where each part was written."""
    builder = _Builder(file, yaml.parse(text, Loader=_Loader))
    try:
        value = _document(builder)
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
    builder.smap.values[()] = (file, 1, 1)
    return value, builder.smap


def read_yaml_file(path: Path, *, location: Location | None = None) -> tuple[Any, SourceMap]:
    """A project file parsed; `location` is where it was named (an `include:` entry)."""
    text = read_text(path, what="project file", location=location,
                     missing_hint="check the -f path or run from the project directory")
    return parse_yaml(text, str(path))
