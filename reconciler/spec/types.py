"""The scalar types of a spec: strict, so that the models and the JSON Schema agree exactly.

No coercion: ``"10"`` is not a number, ``1`` and ``"yes"`` are not booleans.
The only conversion is one JSON Schema makes too: an integral float
(``10.0``) is an integer, and an integer is a number. Every pattern here is
written so that pydantic (Rust regex), jsonschema (Python ``re``) and
editors (ECMA-262) read it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, Strict, WithJsonSchema


def _integral(value: object) -> object:
    """10.0 -> 10, as JSON Schema's "integer" allows; everything else is left for strict int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral), Strict()]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
Identifier = Annotated[
    str,
    Strict(),
    Field(
        pattern=ID_PATTERN,
        description="A CXone id: a letter or digit, then up to 63 letters, digits, '-' or '_'.",
    ),
]

# No C0/C1 controls (newline, tab, ...), DEL, line separators, or bidi marks/overrides/isolates.
PRINTABLE_PATTERN = (
    r"^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
)


def printable(*, min_length: int = 0, max_length: int) -> Any:
    """Printable text of bounded length: no control characters, line breaks or bidi controls."""
    return Field(min_length=min_length, max_length=max_length, pattern=PRINTABLE_PATTERN)


TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
HHMM = Annotated[
    str,
    Strict(),
    Field(pattern=TIME_PATTERN, description="Local time HH:MM (24 h), quoted.", examples=["09:00", "20:00"]),
]

_BLANK, _INK = r"[ \t\r\n]", r"[^ \t\r\n]"
REASON_PATTERN = rf"^{_BLANK}*{_INK}[\s\S]{{8,}}{_INK}{_BLANK}*$"  # at least 10 characters once stripped
Reason = Annotated[
    str,
    Strict(),
    Field(min_length=10, pattern=REASON_PATTERN),
    AfterValidator(lambda text: text.strip(" \t\r\n")),
]

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = r"[0-9]+(\.[0-9]+)?"
_POSITIVE = r"(?=[0-9.]*[1-9])[0-9]+(\.[0-9]+)?"
DURATION_PATTERN = rf"^{_NUMBER}(ms|s|m|h)$"
POSITIVE_DURATION_PATTERN = rf"^{_POSITIVE}(ms|s|m|h)$"
# 1000ms and more, 1s and more, 0.1m or 0.1h and more
SECOND_OR_MORE_PATTERN = (
    r"^(0*[1-9][0-9]{3,}(\.[0-9]+)?ms"
    r"|0*[1-9][0-9]*(\.[0-9]+)?s"
    r"|(0*[1-9][0-9]*(\.[0-9]+)?|0+\.[1-9][0-9]*)(m|h))$"
)


def _seconds(text: str) -> float:
    unit = "ms" if text.endswith("ms") else text[-1]
    return float(text[: -len(unit)]) * _UNIT_SECONDS[unit]


def _parser(pattern: str, rule: str) -> Callable[[object], float]:
    """A validator that takes a duration written as pattern allows, and returns seconds."""
    compiled = re.compile(pattern)

    def parse(value: object) -> float:
        if not isinstance(value, str):
            raise ValueError(
                f"expected a duration string such as '3s' or '10m', got {value!r}; "
                "quote it and add a unit: ms, s, m or h"
            )
        if compiled.match(value) is None:
            raise ValueError(f"invalid duration {value!r}: {rule}")
        return _seconds(value)

    return parse


def format_duration(seconds: float) -> str:
    for unit in ("h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    return f"{round(seconds * 1000)}ms"


def _schema(pattern: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern,
            "description": "A duration: a number and a unit (ms, s, m, h), e.g. '3s'.",
            "examples": ["500ms", "3s", "10m", "1h"],
        }
    )


parse_duration = _parser(DURATION_PATTERN, "use a number followed by ms, s, m or h, e.g. '3s'")
"""Seconds from a duration as specs write it ('500ms', '3s', '10m', '1h'); ValueError otherwise."""

_AS_WRITTEN = PlainSerializer(format_duration, return_type=str)
_UNITS = "use a number followed by ms, s, m or h, e.g. '3s'"
Duration = Annotated[
    float, BeforeValidator(_parser(DURATION_PATTERN, _UNITS)), _AS_WRITTEN, _schema(DURATION_PATTERN)
]
PositiveDuration = Annotated[
    float,
    BeforeValidator(_parser(POSITIVE_DURATION_PATTERN, f"must be above zero; {_UNITS}")),
    _AS_WRITTEN,
    _schema(POSITIVE_DURATION_PATTERN),
]
SecondOrMore = Annotated[
    float,
    BeforeValidator(_parser(SECOND_OR_MORE_PATTERN, "must be at least 1s (1000ms, 0.1m); e.g. '30s'")),
    _AS_WRITTEN,
    _schema(SECOND_OR_MORE_PATTERN),
]


def duration_field(default: float, description: str) -> Any:
    """A duration field whose schema shows its default as written in YAML."""
    return Field(
        default=default, description=description, json_schema_extra={"default": format_duration(default)}
    )
