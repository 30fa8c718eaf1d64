"""The one hardened YAML reader: bytes -> located plain data, for every YAML the product reads.

Only plain YAML is read, with YAML 1.2 core scalars: ``true``/``false`` are
the only booleans (``yes``, ``on``, ``n`` are strings), ``09:00`` is a string,
``010`` is ten, timestamps stay strings. No custom tags, no merge keys. Files
are capped in size; nodes per document, alias expansion and depth are
budgeted, so hostile input is refused quickly and in little memory. A
refusal (:class:`YamlRefused`) carries the line and column; smaller problems
(a tag, a merge key, a duplicate key) are returned with the document so
that every one of them can be reported.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import yaml

from reconciler.spec.source import COLUMNS, Loc, Position, Shared, SourceMap, unpack

_Base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = f"{_TAG}map", f"{_TAG}seq", f"{_TAG}merge"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, f"{_TAG}timestamp"}
_RESOLVED_MAX = 4096
"""How many resolved scalars the loader remembers (then it starts again)."""
_RESOLVED_LENGTH = 64
"""Only scalars up to this long are remembered: a huge one is resolved once anyway."""


class _Yaml12Loader(_Base):  # type: ignore[misc]
    """PyYAML with the YAML 1.2 core schema's implicit types instead of YAML 1.1's.

    It remembers how short scalars resolve: resolution is a pure function of
    (kind, value, implicit) here (no path resolvers), it runs for every node,
    and spec documents repeat their keys and values.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's own class attribute)
    _resolved: ClassVar[dict[tuple[Any, Any, Any], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if value is not None and len(value) > _RESOLVED_LENGTH:
            return str(super().resolve(kind, value, implicit))
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))
            if len(self._resolved) >= _RESOLVED_MAX:  # bounded, whatever the files hold
                self._resolved.clear()
            self._resolved[key] = tag
        return tag


_CORE_SCHEMA = (
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
)
for _tag, _pattern, _first in _CORE_SCHEMA:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


@dataclass(frozen=True)
class Limits:
    """How much one file may ask of the reader."""

    kind: str = "spec files"
    max_file_bytes: int = 1024 * 1024
    max_document_nodes: int = 5_000
    max_alias_nodes: int = 20_000
    max_depth: int = 40


SPEC_LIMITS = Limits()


class YamlRefused(Exception):
    """The file cannot be read at all; nothing after `position` was looked at."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class Problem(NamedTuple):
    """One node that was read but cannot be used (its value is None in the data)."""

    loc: Loc
    position: Position
    message: str


@dataclass(frozen=True)
class Document:
    """One YAML document as plain data (dict, list, str, int, float, bool, None) with its source map."""

    index: int
    data: Any
    source: SourceMap
    problems: tuple[Problem, ...]
    kind: Literal["mapping", "list", "scalar"]
    position: Position


def read_documents(
    path: Path, limits: Limits = SPEC_LIMITS, *, shared: Shared | None = None
) -> Iterator[Document]:
    """Every document of the file at path, one at a time; raises YamlRefused.

    ``shared`` shares the source maps' paths and shapes between several files (see parse_documents).
    """
    yield from parse_documents(read_text(path, limits), limits, shared=shared)


def parse_documents(
    text: str, limits: Limits = SPEC_LIMITS, *, shared: Shared | None = None
) -> Iterator[Document]:
    """Every document of text, one at a time (a hostile one stops the reading); raises YamlRefused.

    The source maps of the documents share one copy of each field path and
    shape; pass ``shared`` to share them with other readings too (a load of many files).
    """
    budget = _Budget(limits)
    shared = Shared() if shared is None else shared
    for index, node in enumerate(_compose(text, limits), start=1):
        budget.next_document()
        converter = _Converter(budget, shared)
        data = converter.convert(node, (), 0)
        values, keys, problems = converter.values, converter.keys, converter.problems
        kind: Literal["mapping", "list", "scalar"] = (
            "mapping"
            if isinstance(node, yaml.MappingNode)
            else "list"
            if isinstance(node, yaml.SequenceNode)
            else "scalar"
        )
        yield Document(index, data, SourceMap.of(values, keys, shared), tuple(problems), kind, _pos(node))


def read_text(path: Path, limits: Limits = SPEC_LIMITS) -> str:
    """The file's UTF-8 text, refused unread when too big, binary or not UTF-8."""
    try:
        size = os.stat(path).st_size
        if size > limits.max_file_bytes:
            raise YamlRefused(
                f"file is {size:,} bytes; {limits.kind} over {_size(limits.max_file_bytes)} "
                "are refused unread (split it into smaller files)",
                (1, 1),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise YamlRefused(f"cannot read file: {exc.strerror}", (1, 1)) from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise YamlRefused(
            f"binary file (NUL byte): {limits.kind} are UTF-8 YAML text", _byte_position(data, offset)
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlRefused(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            _byte_position(data, exc.start),
        ) from None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n:,} bytes"


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _compose(text: str, limits: Limits) -> Iterator[yaml.Node]:
    try:
        yield from yaml.compose_all(text, Loader=_Yaml12Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        if "undefined alias" in what:
            what += " (anchors do not reach across '---' documents)"
        raise YamlRefused(f"YAML syntax error: {what}", position) from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"YAML error: {exc}", (1, 1)) from None
    except RecursionError:
        raise YamlRefused(f"YAML nested too deeply (limit {limits.max_depth})", (1, 1)) from None


class _Budget:
    """Caps the nodes written in one document, and the copies aliases add across a file.

    Aliases are bounded across the file so that an alias bomb is refused early.
    A node seen again in a document is an alias's copy; anchors do not reach
    across documents, so what was seen is forgotten at each one (the ids of an
    earlier document's freed nodes are reused, and must not count as copies).
    The nodes of the document are the ones seen. The converter spends inline
    (``spend`` is its work, once per node): these are the refusals.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.expanded = 0
        self.seen: set[int] = set()

    @property
    def document(self) -> int:
        return len(self.seen)

    def next_document(self) -> None:
        self.seen.clear()

    def spend(self, node: yaml.Node) -> None:
        seen, key = self.seen, id(node)
        if key in seen:
            self.copied(node)
        else:
            seen.add(key)
            if len(seen) > self.limits.max_document_nodes:
                self.too_many(node)

    def too_many(self, node: yaml.Node) -> None:
        raise YamlRefused(
            f"document has more than {self.limits.max_document_nodes:,} YAML nodes; "
            f"{self.limits.kind} need far fewer",
            _pos(node),
        )

    def copied(self, node: yaml.Node) -> None:
        """An alias's copy of a node already seen in this document."""
        self.expanded += 1
        if self.expanded > self.limits.max_alias_nodes:
            raise YamlRefused(
                f"aliases expand to more than {self.limits.max_alias_nodes:,} YAML nodes; "
                "is this an alias bomb?",
                _pos(node),
            )


def _pos(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Converter:
    """One document's nodes -> plain data, its source map (packed positions) and its problems.

    This runs for every node of every document read, so it reads locals
    rather than attributes, and keeps one copy of what documents repeat:
    field paths (shared through ``shared``) and plain strings and keys (interned).
    """

    __slots__ = ("budget", "keys", "max_depth", "max_nodes", "problems", "share", "values")

    def __init__(self, budget: _Budget, shared: Shared) -> None:
        self.budget = budget
        self.max_depth = budget.limits.max_depth
        self.max_nodes = budget.limits.max_document_nodes
        self.share = shared.path
        self.values: dict[Loc, int] = {}
        self.keys: dict[Loc, int] = {}
        self.problems: list[Problem] = []

    def convert(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.budget.spend(node)
        if depth > self.max_depth:
            raise YamlRefused(f"YAML nested too deeply (limit {self.max_depth})", _pos(node))
        mark = node.start_mark
        self.values[loc] = (mark.line + 1) * COLUMNS + mark.column + 1
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                return sys.intern(str(node.value))  # ids, enums, zones repeat in every document
            if tag not in _SCALAR_TAGS:
                return self._problem(loc, node, _tag_message(tag))
            try:
                return _scalar(node)
            except ValueError:
                return self._problem(loc, node, f"{node.value!r} is not a valid {_short(tag)}")
        if tag not in (_MAP, _SEQ):
            return self._problem(loc, node, _tag_message(tag))
        if isinstance(node, yaml.SequenceNode):
            convert, share, depth = self.convert, self.share, depth + 1
            return [convert(item, share((*loc, i)), depth) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, loc, depth + 1)

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        share, convert, keys, values = self.share, self.convert, self.keys, self.values
        budget, max_nodes, plain = self.budget, self.max_nodes, depth <= self.max_depth
        seen = budget.seen
        for key_node, value_node in node.value:
            if id(key_node) in seen:  # budget.spend(key_node), inline: it runs for every node
                budget.copied(key_node)
            else:
                seen.add(id(key_node))
                if len(seen) > max_nodes:
                    budget.too_many(key_node)
            if key_node.tag == _MERGE or (
                isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.style is None
            ):
                self._problem(loc, key_node, "merge keys (<<) are not supported; write the fields out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(loc, key_node, "mapping keys must be plain strings")
                continue
            key = sys.intern(str(key_node.value))
            mark = key_node.start_mark
            at = (mark.line + 1) * COLUMNS + mark.column + 1
            if key in first_seen:
                line, column = unpack(first_seen[key])
                self._problem(
                    (*loc, key),
                    key_node,
                    f"duplicate key '{key}' (first defined at {line}:{column}); remove one",
                )
                continue
            first_seen[key] = at
            here = share((*loc, key))
            keys[here] = at
            if plain and value_node.__class__ is yaml.ScalarNode and value_node.tag == _STR:
                # convert's work for the commonest node, without a call per node
                if id(value_node) in seen:
                    budget.copied(value_node)
                else:
                    seen.add(id(value_node))
                    if len(seen) > max_nodes:
                        budget.too_many(value_node)
                mark = value_node.start_mark
                values[here] = (mark.line + 1) * COLUMNS + mark.column + 1
                mapping[key] = sys.intern(str(value_node.value))
            else:
                mapping[key] = convert(value_node, here, depth)
        return mapping

    def _problem(self, loc: Loc, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(loc, _pos(node), message))


def _short(tag: str) -> str:
    return tag.replace(_TAG, "!!", 1)


def _tag_message(tag: str) -> str:
    return f"tag {_short(tag)} is not allowed: plain YAML only (no custom tags)"


def _scalar(node: yaml.ScalarNode) -> Any:
    """The YAML 1.2 core value of a scalar; ValueError when an explicit tag does not fit it."""
    tag, value = node.tag, str(node.value)
    if tag == _NULL:
        if value not in ("", "~", "null", "Null", "NULL"):
            raise ValueError(value)
        return None
    if tag == _BOOL:
        if value.lower() not in ("true", "false"):
            raise ValueError(value)
        return value.lower() == "true"
    if tag == _INT:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)
    if tag == _FLOAT:
        special = value.lower().lstrip("+")
        if special in (".inf", "-.inf", ".nan"):
            return {".inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}[special]
        return float(value)
    return value  # str, and timestamps stay as written
