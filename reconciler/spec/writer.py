"""The one writer of spec files: a campaign document as canonical YAML text (pure).

Canonical means the same document always gives the same bytes: the editor
modeline first, fields in the schema's order (the models' field order),
only values that differ from the defaults, block style, two-space indents,
times and anything a YAML reader could take for something else quoted,
control and invisible characters escaped, nothing folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from reconciler.spec.models import Campaign
from reconciler.spec.validation import inner_model

__all__ = ["DEFAULT_SCHEMA", "canonical", "dump", "modeline"]

DEFAULT_SCHEMA = "../schemas/campaign.schema.json"
"""The schema reference README and product.md document: a campaigns/ folder beside schemas/."""


def modeline(schema: str = DEFAULT_SCHEMA) -> str:
    return f"# yaml-language-server: $schema={schema}"


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
        inner = inner_model(info.annotation)
        if inner is not None and isinstance(value, Mapping):
            value = canonical(value, inner)
            if not value and not info.is_required():
                continue  # every field of it at its default
        elif inner is not None and isinstance(value, list | tuple):
            value = [canonical(v, inner) if isinstance(v, Mapping) else v for v in value]
        out[name] = value
    return out


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*$")
"""Written plain: no indicator, no ': ' or ' #', no leading digit (YAML 1.2 reads 0o17 as a number)."""
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}
_VISIBLE = ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn")
"""Categories written as escapes: controls (a raw NEL reads back as a line break), and characters
that render invisibly or reorder text (bidi controls), so a reviewer sees them."""


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if unicodedata.category(ch) not in _VISIBLE:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _resolves_to_str(text: str) -> bool:
    """A plain scalar YAML 1.1 reads as a string (not yes, null, 1e3, 2024-01-01...)."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR


def _scalar(value: Any) -> str:
    """One scalar: plain when every YAML reader takes it as the same string, else double-quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and _resolves_to_str(text):
        return text
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _lines(value: Any, indent: int) -> list[str]:
    """A mapping or a sequence in block style, sequences indented under their key."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list | tuple) and item:
                out.append(f"{pad}{_scalar(key)}:")
                out += _lines(item, indent + 2)
            else:
                empty = (
                    "{}" if isinstance(item, Mapping) else "[]" if isinstance(item, list | tuple) else None
                )
                out.append(f"{pad}{_scalar(key)}: {empty or _scalar(item)}")
        return out
    for item in value:
        if isinstance(item, Mapping | list | tuple) and item:
            first, *rest = _lines(item, indent + 2)
            out += [f"{pad}- {first.lstrip()}", *rest]
        else:
            out.append(f"{pad}- {_scalar(item)}")
    return out


def dump(document: Mapping[str, Any], *, schema: str = DEFAULT_SCHEMA) -> str:
    """One spec file's text: the modeline, then ``document`` made canonical."""
    return "\n".join([modeline(schema), *_lines(canonical(document), 0)]) + "\n"
