"""The one writer of spec files: a campaign document as canonical YAML text (pure).

Canonical means the same document always gives the same bytes: the editor
modeline first, fields in the schema's order (the models' field order),
only values that differ from the defaults, block style, two-space indents,
times quoted, nothing folded.
"""

from __future__ import annotations

import contextlib
import re
import types
import typing
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from reconciler.spec.models import Campaign

__all__ = ["DEFAULT_SCHEMA", "canonical", "dump", "modeline"]

DEFAULT_SCHEMA = "../schemas/campaign.schema.json"
"""The schema reference README and product.md document: a campaigns/ folder beside schemas/."""

_TIME = re.compile(r"^\d\d:\d\d$")


def modeline(schema: str = DEFAULT_SCHEMA) -> str:
    return f"# yaml-language-server: $schema={schema}"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or inside Optional / tuple[...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _plain(value: Any) -> Any:
    """Tuples as lists, models as dicts, enums as values: comparable with what a document holds."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def canonical(document: Mapping[str, Any], model: type[BaseModel] = Campaign) -> dict[str, Any]:
    """``document`` in the model's field order, without unknown keys or values at their default.

    Works on documents the model would refuse (a value out of bounds is kept
    as it is), so a campaign the spec cannot express is still written faithfully.
    """
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in document:
            continue
        value = document[name]
        if not info.is_required() and _plain(value) == _plain(info.get_default(call_default_factory=True)):
            continue
        inner = _model_of(info.annotation)
        if inner is not None and isinstance(value, Mapping):
            value = canonical(value, inner)
            if not value and not info.is_required():
                continue  # every field of it at its default
        elif inner is not None and isinstance(value, list | tuple):
            value = [canonical(v, inner) if isinstance(v, Mapping) else v for v in value]
        out[name] = value
    return out


class _Quoted(str):
    """A string always written in double quotes (times: '09:00', never a bare 09:00)."""


def _deceptive(text: str) -> bool:
    """Holds controls (a raw NEL reads back as a line break), or invisible or reordering characters."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") for ch in text)


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # sequences indented under their key

    @contextlib.contextmanager
    def _ascii(self, text: str) -> Iterator[None]:
        """A deceptive scalar with every non-ASCII character escaped: reviewers see the escape."""
        saved = self.allow_unicode
        self.allow_unicode = saved and not _deceptive(text)
        try:
            yield
        finally:
            self.allow_unicode = saved

    def analyze_scalar(self, scalar: str) -> Any:
        with self._ascii(scalar):
            return super().analyze_scalar(scalar)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        with self._ascii(text):
            super().write_double_quoted(text, split)


def _quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(_Quoted, _quoted)


def _quote_times(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _quote_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_quote_times(v) for v in value]
    if isinstance(value, str) and _TIME.match(value):
        return _Quoted(value)
    return value


def dump(document: Mapping[str, Any], *, schema: str = DEFAULT_SCHEMA) -> str:
    """One spec file's text: the modeline, then ``document`` made canonical."""
    body = yaml.dump(
        _quote_times(canonical(document)),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
        indent=2,
    )
    return f"{modeline(schema)}\n{body}"
