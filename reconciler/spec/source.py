"""Where things stand in a spec file: source maps and loaded campaigns (no YAML here).

The engine locates its own findings (unknown contact lists, DNC lists) through
these types, so this module must not depend on the YAML reader.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class SourceMap:
    """Where each value and each mapping key of one document stands (1-based line, column).

    Kept for every campaign of a run, so kept small: positions are packed
    ints (:func:`pack`), and the reader shares field paths (``Loc`` tuples)
    between the documents of a load, which repeat one another's structure.
    """

    values: dict[Loc, int]
    keys: dict[Loc, int]

    def locate(self, loc: Loc, *, key: bool = False) -> Position:
        if key and loc in self.keys:
            return unpack(self.keys[loc])
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.values:
                return unpack(self.values[prefix])
        return (1, 1)


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
