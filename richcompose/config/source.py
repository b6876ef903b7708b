"""Where things were written: a SourceMap from paths in the data to file:line:column, kept
through every stage so any error can point at the user's line. Also the merge-tag value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from richcompose.errors import Location

PathKey = tuple[str | int, ...]
MERGE_TAGS = ("!reset", "!override")
_GROUP = 2  # positions are indexed by their first two path parts: ('services', 'web')
Pos = tuple[str, int, int]  # (file, line, column): a Location, stored cheaply (50,000 per big file)


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
            if isinstance(probe[-1], int) and probe in self.values:
                return Location(*self.values[probe])  # a list item has no key of its own
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
