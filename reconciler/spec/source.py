"""Where things stand in a spec file: source maps and loaded campaigns (no YAML here).

The engine locates its own findings (unknown contact lists, DNC lists) through
these types, so this module must not depend on the YAML reader.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from reconciler.spec.models import Campaign

Loc = tuple[str | int, ...]
Position = tuple[int, int]


def loc_of(dotted: str) -> Loc:
    """'spec.dnc.listIds.0' -> ('spec', 'dnc', 'listIds', 0)."""
    if not dotted:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


COLUMNS = 1 << 21
"""Positions are kept packed, ``line * COLUMNS + column``: one int rather than a tuple of two
(no line of a file under the reader's size caps is this long)."""


def pack(line: int, column: int) -> int:
    """One int for a 1-based (line, column)."""
    return line * COLUMNS + column


def unpack(packed: int) -> Position:
    line, column = divmod(packed, COLUMNS)
    return line, column


@dataclass(frozen=True, eq=False)
class Shape:
    """A document's field paths, each with its index among the document's positions.

    Documents of the same structure (a fleet of campaigns written alike) share one.
    """

    values: dict[Loc, int]
    keys: dict[Loc, int]


@dataclass(frozen=True, eq=False)
class SourceMap:
    """Where each value and each mapping key of one document stands (1-based line, column).

    Kept for every campaign of a run, so kept small: the field paths live in a
    :class:`Shape` that documents of the same structure share, and the
    positions in one array of packed ints (:func:`pack`).
    """

    shape: Shape
    positions: array[int]

    @classmethod
    def of(cls, values: dict[Loc, int], keys: dict[Loc, int], shared: Shared | None = None) -> SourceMap:
        """The source map of packed positions by field path, its shape shared through ``shared``."""
        shape = (shared or Shared()).shape(tuple(values), tuple(keys))
        return cls(shape, array("q", [*values.values(), *keys.values()]))

    def locate(self, loc: Loc, *, key: bool = False) -> Position:
        shape, positions = self.shape, self.positions
        if key and loc in shape.keys:
            return unpack(positions[shape.keys[loc]])
        for end in range(len(loc), -1, -1):
            index = shape.values.get(loc[:end])
            if index is not None:
                return unpack(positions[index])
        return (1, 1)


class Shared:
    """One copy of what the source maps of a reading repeat: field paths and shapes.

    A load of many files passes one to every reading. Bounded: past its
    limits, new paths and shapes are used unshared.
    """

    MAX_PATHS = 100_000
    MAX_SHAPES = 1_000

    def __init__(self) -> None:
        self._paths: dict[Loc, Loc] = {}
        self._shapes: dict[tuple[tuple[Loc, ...], tuple[Loc, ...]], Shape] = {}

    def path(self, loc: Loc) -> Loc:
        """The one copy of this field path."""
        paths = self._paths
        found = paths.get(loc)
        if found is not None:
            return found
        if len(paths) < self.MAX_PATHS:
            paths[loc] = loc
        return loc

    def shape(self, values: tuple[Loc, ...], keys: tuple[Loc, ...]) -> Shape:
        """The one shape of a document with these value and key paths, in this order."""
        found = self._shapes.get((values, keys))
        if found is not None:
            return found
        count = len(values)
        shape = Shape(
            {loc: i for i, loc in enumerate(values)}, {loc: count + i for i, loc in enumerate(keys)}
        )
        if len(self._shapes) < self.MAX_SHAPES:
            self._shapes[(values, keys)] = shape
        return shape


@dataclass(frozen=True)
class LoadedCampaign:
    campaign: Campaign
    path: str
    source: SourceMap

    @property
    def name(self) -> str:
        return self.campaign.name

    def where(self, field: str = "") -> str:
        line, column = self.source.locate(loc_of(field))
        return f"{self.path}:{line}:{column}"
