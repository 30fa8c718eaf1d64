"""pydantic's validation errors -> diagnostics in the project's words, with suggestions."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.models import Campaign
from reconciler.spec.source import Loc, SourceMap, dotted


def diagnostics_from(path: str, exc: ValidationError, source: SourceMap) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    errors = exc.errors(include_url=False)
    failed = {tuple(p for p in e["loc"] if not _is_union_tag(p)) for e in errors}
    for error in errors:
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
        else:
            line, column = source.locate(loc)
            text = _FRIENDLY.get(kind) or str(error["msg"]).removeprefix("Value error, ")
            given = error.get("input")
            shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
            message = f"{field}: {text}{shown}"
        found.append(Diagnostic(path, line, column, "error", field, message))
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
