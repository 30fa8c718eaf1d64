"""YAML spec files -> campaign models, keeping file:line:col for every node.

Only the safe YAML core is read: no custom tags, no merge keys. Files are
capped in size, nodes per document, alias expansion and depth, so hostile
input is refused quickly and in little memory (a refused file is read no
further). Every problem of every other file is collected; nothing stops at
the first error.
"""

from __future__ import annotations

import difflib
import gc
import os
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ValidationError

from reconciler.spec.checks import check_campaign
from reconciler.spec.diagnostics import Diagnostic, Severity
from reconciler.spec.models import Campaign

MAX_FILE_BYTES = 1024 * 1024
MAX_ALIAS_NODES = 20_000
MAX_DOCUMENT_NODES = 5_000
MAX_DEPTH = 40

Loc = tuple[str | int, ...]
Position = tuple[int, int]
_COLUMNS = 1 << 21
"""A position is kept packed, line * _COLUMNS + column: one int, not a tuple of two
(no line of a file under MAX_FILE_BYTES is this long)."""

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED_MAX = 4096


class _SafeLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, remembering how plain scalars resolve: documents repeat their values.

    Resolution is a pure function of (kind, value, implicit) for the safe loader
    (it has no path resolvers); it ran once per node and was a sixth of composing.
    """

    _resolved: ClassVar[dict[tuple[Any, Any, Any], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._resolved) >= _RESOLVED_MAX:  # bounded, whatever a file holds
                self._resolved.clear()
            self._resolved[key] = tag
        return tag


_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MAP, _SEQ, _STR, _MERGE = f"{_TAG}map", f"{_TAG}seq", f"{_TAG}str", f"{_TAG}merge"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class SourceMap:
    """Where each value and each mapping key of one document stands.

    Kept for every campaign of a run, so kept small: the field paths are
    shared by every document of a load (documents share their structure)
    and each position is one packed int.
    """

    values: dict[Loc, int]
    keys: dict[Loc, int]

    def locate(self, loc: Loc, *, key: bool = False) -> Position:
        if key and loc in self.keys:
            return _unpack(self.keys[loc])
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.values:
                return _unpack(self.values[prefix])
        return (1, 1)


def _unpack(packed: int) -> Position:
    line, column = divmod(packed, _COLUMNS)
    return line, column


@dataclass(frozen=True)
class LoadedCampaign:
    campaign: Campaign
    path: str
    source: SourceMap

    @property
    def name(self) -> str:
        return self.campaign.name

    def where(self, dotted: str = "") -> str:
        line, column = self.source.locate(_loc(dotted))
        return f"{self.path}:{line}:{column}"


@dataclass
class LoadResult:
    campaigns: list[LoadedCampaign] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors


class _Refused(Exception):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def discover(paths: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """Spec files named by paths; directories are walked for *.yaml / *.yml."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml")
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Diagnostic(
                    raw,
                    1,
                    1,
                    "error",
                    "",
                    f"no such file or directory: {raw} (run from the folder that holds it, "
                    "or pass the spec files or folders to read)",
                )
            )
    unique = list(dict.fromkeys(files))
    return unique, problems


def load(paths: Sequence[str]) -> LoadResult:
    """Load and check every spec under paths; never raises for bad input."""
    files, problems = discover(paths)
    result = LoadResult(diagnostics=problems, files=len(files))
    locs: dict[Loc, Loc] = {}
    with _no_cyclic_gc():
        for path in files:
            campaigns, diagnostics = load_file(path, locs=locs)
            result.campaigns.extend(campaigns)
            result.diagnostics.extend(diagnostics)
    result.diagnostics.extend(_duplicate_names(result.campaigns))
    result.diagnostics.sort()
    return result


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector: a load makes many long-lived objects and no cycles.

    Its passes over the growing heap took a third of the time of loading
    10,000 documents; what a load frees, reference counting frees.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_file(
    path: Path, *, locs: dict[Loc, Loc] | None = None
) -> tuple[list[LoadedCampaign], list[Diagnostic]]:
    """The campaigns of one file and its problems; ``locs`` shares field paths across files."""
    shown = str(path)
    campaigns: list[LoadedCampaign] = []
    diagnostics: list[Diagnostic] = []
    budget = _Budget({} if locs is None else locs)
    try:
        # documents are composed one at a time: a hostile one stops the reading
        for index, node in enumerate(_compose(_read_text(path)), start=1):
            budget.next_document()
            loaded, found = _load_document(shown, index, node, budget)
            diagnostics.extend(found)
            if loaded is not None:
                campaigns.append(loaded)
    except _Refused as refused:
        line, column = refused.position
        diagnostics.append(Diagnostic(shown, line, column, "error", "", refused.message))
    return campaigns, diagnostics


def _read_text(path: Path) -> str:
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise _Refused(
                f"file is {size:,} bytes; spec files over 1 MiB are refused unread "
                "(split it into smaller files)",
                (1, 1),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise _Refused(f"cannot read file: {exc.strerror}", (1, 1)) from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise _Refused("binary file (NUL byte): spec files are UTF-8 YAML text", _byte_position(data, offset))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            _byte_position(data, exc.start),
        ) from None


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _compose(text: str) -> Iterable[yaml.Node]:
    try:
        yield from yaml.compose_all(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        if "undefined alias" in what:
            what += " (anchors do not reach across '---' documents)"
        raise _Refused(f"YAML syntax error: {what}", position) from None
    except yaml.YAMLError as exc:
        raise _Refused(f"YAML error: {exc}", (1, 1)) from None
    except RecursionError:
        raise _Refused(f"YAML nested too deeply (limit {MAX_DEPTH})", (1, 1)) from None


class _Budget:
    """Caps the nodes written in one document, and the copies aliases add across a file.

    A campaign spec has a few hundred nodes at most; aliases are bounded
    across the file so that an alias bomb is refused early.
    """

    def __init__(self, locs: dict[Loc, Loc]) -> None:
        self.expanded = 0
        self.document = 0
        self._seen: set[int] = set()
        self._locs = locs

    def intern(self, loc: Loc) -> Loc:
        """The one copy of this field path (documents share their structure)."""
        return self._locs.setdefault(loc, loc)

    def next_document(self) -> None:
        self.document = 0

    def spend(self, node: yaml.Node) -> None:
        seen, key = self._seen, id(node)
        if key not in seen:
            seen.add(key)
            self.document += 1
            if self.document > MAX_DOCUMENT_NODES:
                raise _Refused(
                    f"document has more than {MAX_DOCUMENT_NODES:,} YAML nodes; "
                    "a campaign spec needs far fewer",
                    _pos(node),
                )
            return
        self.expanded += 1
        if self.expanded > MAX_ALIAS_NODES:
            raise _Refused(
                f"aliases expand to more than {MAX_ALIAS_NODES:,} YAML nodes; is this an alias bomb?",
                _pos(node),
            )


def _pos(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _load_document(
    path: str, index: int, node: yaml.Node, budget: _Budget
) -> tuple[LoadedCampaign | None, list[Diagnostic]]:
    if node.tag not in _SCALAR_TAGS | {_MAP, _SEQ}:
        line, column = _pos(node)
        return None, [Diagnostic(path, line, column, "error", "", _tag_message(node.tag))]
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a scalar"
        line, column = _pos(node)
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "error",
                "",
                f"document {index} is {kind}; each document must be a mapping "
                "with apiVersion, kind, metadata and spec",
            )
        ]
    values: dict[Loc, int] = {}
    keys: dict[Loc, int] = {}
    problems: list[tuple[Loc, Position, str]] = []
    data = _convert(node, (), 0, values, keys, problems, budget)
    diagnostics = [
        Diagnostic(path, pos[0], pos[1], "error", _dotted(loc), message) for loc, pos, message in problems
    ]
    source = SourceMap(values, keys)
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        spoiled = [loc for loc, _, _ in problems]
        diagnostics.extend(
            d
            for d in _from_validation(path, exc, source)
            if not any(_loc(d.field)[: len(bad)] == bad for bad in spoiled)
        )
        return None, diagnostics
    if diagnostics:
        return None, diagnostics
    for dotted, severity, message in check_campaign(campaign):
        diagnostics.append(_at(path, source, dotted, severity, message))
    return LoadedCampaign(campaign, path, source), diagnostics


def _convert(
    node: yaml.Node,
    loc: Loc,
    depth: int,
    values: dict[Loc, int],
    keys: dict[Loc, int],
    problems: list[tuple[Loc, Position, str]],
    budget: _Budget,
) -> Any:
    # the hot loop of loading (every node of every document): locals over lookups
    budget.spend(node)
    if depth > MAX_DEPTH:
        raise _Refused(f"YAML nested too deeply (limit {MAX_DEPTH})", _pos(node))
    mark = node.start_mark
    values[loc] = (mark.line + 1) * _COLUMNS + mark.column + 1
    tag = node.tag
    kind = type(node)
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            return sys.intern(node.value)  # ids, enums, times repeat in every document: one copy
        if tag not in _SCALAR_TAGS:
            problems.append((loc, _pos(node), _tag_message(tag)))
            return None
        return _scalar(node)
    if tag not in (_MAP, _SEQ):
        problems.append((loc, _pos(node), _tag_message(node.tag)))
        return None
    if kind is yaml.SequenceNode:
        return [
            _convert(item, budget.intern((*loc, i)), depth + 1, values, keys, problems, budget)
            for i, item in enumerate(node.value)
        ]
    mapping: dict[str, Any] = {}
    first_seen: dict[str, Position] = {}
    spend, intern, depth = budget.spend, budget.intern, depth + 1
    for key_node, value_node in node.value:
        spend(key_node)
        if key_node.tag == _MERGE:
            problems.append((loc, _pos(key_node), "merge keys (<<) are not supported; write the fields out"))
            continue
        if type(key_node) is not yaml.ScalarNode:
            problems.append((loc, _pos(key_node), "mapping keys must be plain strings"))
            continue
        key = sys.intern(key_node.value)
        if key in first_seen:
            line, column = first_seen[key]
            problems.append(
                (
                    (*loc, key),
                    _pos(key_node),
                    f"duplicate key '{key}' (first defined at {line}:{column}); remove one",
                )
            )
            continue
        mark = key_node.start_mark
        first_seen[key] = (mark.line + 1, mark.column + 1)
        here = intern((*loc, key))
        keys[here] = (mark.line + 1) * _COLUMNS + mark.column + 1
        mapping[key] = _convert(value_node, here, depth, values, keys, problems, budget)
    return mapping


def _tag_message(tag: str) -> str:
    tag = tag.replace(_TAG, "!!", 1)
    return f"tag {tag} is not allowed: spec files use plain YAML only (no custom tags)"


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == f"{_TAG}str" or tag == f"{_TAG}timestamp":
        return value
    if tag == f"{_TAG}null":
        return None
    if tag == f"{_TAG}bool":
        return _CONSTRUCTOR.bool_values[value.lower()]
    if ":" in value:  # YAML 1.1 sexagesimal (20:00 -> 1200): keep what was written
        return value
    if tag == f"{_TAG}int":
        return _CONSTRUCTOR.construct_yaml_int(node)
    return _CONSTRUCTOR.construct_yaml_float(node)


def _loc(dotted: str) -> Loc:
    if not dotted:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def _at(path: str, source: SourceMap, dotted: str, severity: Severity, message: str) -> Diagnostic:
    line, column = source.locate(_loc(dotted))
    return Diagnostic(path, line, column, severity, dotted, message)


def _from_validation(path: str, exc: ValidationError, source: SourceMap) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    errors = exc.errors(include_url=False)
    failed = {tuple(p for p in e["loc"] if not _is_union_tag(p)) for e in errors}
    for error in errors:
        loc: Loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        dotted = _dotted(loc)
        kind = error["type"]
        if kind == "too_short" and any(f[: len(loc)] == loc and f != loc for f in failed):
            continue  # the item that failed is reported; its empty parent is noise
        if kind == "extra_forbidden":
            line, column = source.locate(loc, key=True)
            name = str(loc[-1])
            message = f"unknown field '{name}'" + (f" in {_dotted(loc[:-1])}" if len(loc) > 1 else "")
            suggestion = _suggest(loc)
            message += f"; did you mean '{suggestion}'?" if suggestion else "; remove it"
        elif kind == "missing":
            line, column = source.locate(loc[:-1])
            parent = _dotted(loc[:-1]) or "the document"
            message = f"missing required field '{loc[-1]}' in {parent}"
        else:
            line, column = source.locate(loc)
            text = _FRIENDLY.get(kind) or str(error["msg"]).removeprefix("Value error, ")
            given = error.get("input")
            shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
            message = f"{dotted}: {text}{shown}"
        found.append(Diagnostic(path, line, column, "error", dotted, message))
    return found


_FRIENDLY = {
    # the only patterns in the models are local times
    "string_pattern_mismatch": 'expected a 24-hour time HH:MM, quoted, e.g. "09:00"',
}


def _is_union_tag(part: str | int) -> bool:
    """pydantic names validator wrappers in loc (``function-after[...]``); drop them."""
    return isinstance(part, str) and "[" in part


def _suggest(loc: Loc) -> str | None:
    model = _model_at(loc[:-1])
    if model is None:
        return None
    matches = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    model: type[BaseModel] = Campaign
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        inner = _inner_model(info.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _duplicate_names(campaigns: list[LoadedCampaign]) -> list[Diagnostic]:
    by_name: dict[str, list[LoadedCampaign]] = {}
    for loaded in campaigns:
        by_name.setdefault(loaded.name, []).append(loaded)
    found: list[Diagnostic] = []
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        places = [f"{c.where('metadata.name')}" for c in same]
        for loaded, here in zip(same, places, strict=True):
            others = ", ".join(p for p in places if p != here)
            found.append(
                _at(
                    loaded.path,
                    loaded.source,
                    "metadata.name",
                    "error",
                    f"duplicate campaign name '{name}' (also at {others}); names must be unique",
                )
            )
    return found
