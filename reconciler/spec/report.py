"""Render validate results as text, JSON or GitHub workflow annotations (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable

from reconciler.spec.loader import LoadResult

Style = Callable[[str, str], str]


def _plain(text: str, _: str) -> str:
    return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(result: LoadResult, style: Style = _plain) -> str:
    lines = []
    for d in result.diagnostics:
        colour = "red" if d.is_error else "yellow"
        lines.append(f"{d.path}:{d.line}:{d.column}: {style(d.severity, colour)}: {d.message}")
    campaigns = _plural(len(result.campaigns), "campaign")
    files = _plural(result.files, "file")
    if result.valid:
        verb = "is" if len(result.campaigns) == 1 else "are"
        lines.append(style(f"{campaigns} in {files} {verb} valid", "green"))
    else:
        lines.append(style(f"{_plural(len(result.errors), 'error')} in {files}", "red"))
    return "\n".join(lines)


def render_json(result: LoadResult) -> str:
    return json.dumps(
        {
            "valid": result.valid,
            "files": result.files,
            "campaigns": len(result.campaigns),
            "diagnostics": [d.to_json() for d in result.diagnostics],
        },
        indent=2,
    )


def _escape(value: str, *, prop: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(result: LoadResult) -> str:
    lines = []
    for d in result.diagnostics:
        level = "error" if d.is_error else "warning"
        file = _escape(d.path, prop=True)
        lines.append(f"::{level} file={file},line={d.line},col={d.column}::{_escape(d.message, prop=False)}")
    lines.append(render_text(result).splitlines()[-1])
    return "\n".join(lines)
