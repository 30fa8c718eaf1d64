"""pydantic's validation errors -> diagnostics in the project's words, with suggestions."""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.models import Campaign
from reconciler.spec.source import Loc, SourceMap, dotted
from reconciler.spec.types import ID_PATTERN, PRINTABLE_PATTERN, REASON_PATTERN, TIME_PATTERN


def diagnostics_from(path: str, exc: ValidationError, source: SourceMap) -> list[Diagnostic]:
    """One diagnostic per error, in the project's words, at the node it is about."""
    found: list[Diagnostic] = []
    errors = exc.errors(include_url=False)
    failed = {tuple(p for p in e["loc"] if not _is_union_tag(p)) for e in errors}
    for error in errors:
        is_key = "[key]" in error["loc"]
        loc: Loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        field = dotted(loc)
        kind = error["type"]
        if kind == "too_short" and any(f[: len(loc)] == loc and f != loc for f in failed):
            continue  # the item that failed is reported; its empty parent is noise
        if kind == "extra_forbidden":
            line, column = source.locate(loc, key=True)
            name = str(loc[-1])
            message = f"unknown field '{name}'" + (f" in {dotted(loc[:-1])}" if len(loc) > 1 else "")
            suggestion = _suggest(loc)
            message += f"; did you mean '{suggestion}'?" if suggestion else "; remove it"
        elif kind == "missing":
            line, column = source.locate(loc[:-1])
            parent = dotted(loc[:-1]) or "the document"
            message = f"missing required field '{loc[-1]}' in {parent}"
        elif is_key:
            line, column = source.locate(loc, key=True)
            message = f"{dotted(loc[:-1])}: key {_shown(loc[-1])} {describe(error, loc)}"
        else:
            line, column = source.locate(loc)
            message = f"{field}: {describe(error, loc)}"
        found.append(Diagnostic(path, line, column, "error", field, message))
    return found


def describe(error: ErrorDetails, loc: Loc) -> str:
    """What is wrong and what to write instead, never in pydantic's words."""
    kind, given, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if given is None and kind.endswith("_type"):
        return f"has no value (null); write {_EXPECTED.get(kind, 'a value')} or remove the line"
    if kind == "bool_type":
        return _bool(given)
    if kind in ("int_type", "float_type"):
        return _number(kind, given)
    if kind == "model_type":
        model = _model_at(loc)
        fields = ", ".join(model.model_fields) if model else ""
        return f"must be a mapping{f' with {fields}' if fields else ''}, got {_shown(given)}"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}, got {_shown(given)}"
    if kind == "string_pattern_mismatch":
        return f"{_PATTERNS.get(str(ctx.get('pattern')), 'is not written as expected')} (got {_shown(given)})"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in _BOUNDS:
        return f"{_BOUNDS[kind].format(**ctx)} (got {_shown(given)})"
    if kind in ("enum", "literal_error"):
        return f"must be {ctx.get('expected')} (got {_shown(given)})"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"is not a valid value here (got {_shown(given)})"


_EXPECTED = {
    "string_type": "text (quote it)",
    "tuple_type": "a list, e.g. [A, B]",
    "list_type": "a list, e.g. [A, B]",
    "dict_type": "a mapping of key: value",
    "model_type": "a mapping",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
}

_BOUNDS = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be above {gt}",
    "less_than": "must be below {lt}",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "needs at least {min_length} item(s)",
    "too_long": "has too many items: at most {max_length}",
}

_PATTERNS = {
    TIME_PATTERN: 'expected a 24-hour time HH:MM, quoted, e.g. "09:00"',
    PRINTABLE_PATTERN: "must be printable text on one line: no tabs, line breaks, control characters "
    "or bidi controls",
    REASON_PATTERN: "must be at least 10 characters, not counting surrounding spaces: "
    "write why this rule does not apply",
    ID_PATTERN: "expected a CXone id: a letter or digit, then at most 63 letters, digits, '-' or '_', "
    "e.g. CL-839201-AJF2",
}

_TRUE = {"yes", "y", "on", "true"}
_FALSE = {"no", "n", "off", "false"}


def _bool(given: object) -> str:
    if isinstance(given, str):
        word = given.strip().lower()
        fix = "true" if word in _TRUE else "false" if word in _FALSE else "true or false"
        kind = "a quoted string" if word in ("true", "false") else "a string in YAML 1.2"
        return f"must be true or false; `{given}` is {kind} - write {fix}"
    return f"must be true or false (unquoted), got {_shown(given)}"


def _number(kind: str, given: object) -> str:
    what = "a whole number, e.g. 10" if kind == "int_type" else "a number, e.g. 0.03"
    if isinstance(given, str):
        return f"must be {what}; {_shown(given)} is text - write the number without quotes"
    if isinstance(given, bool):
        return f"must be {what}, not true or false"
    if isinstance(given, float) and not math.isfinite(given):
        return f"must be {what}, not {given}"
    if isinstance(given, float):
        return f"must be {what}; {given:g} has a fraction"
    return f"must be {what}, got {_shown(given)}"


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        inner = inner_model(info.annotation)
        if inner is None:
            return None
        model = inner
    return model


def inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or inside Optional / tuple[...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = inner_model(arg)
            if found is not None:
                return found
    return None
