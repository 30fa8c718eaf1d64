"""Escaping tenant-provided text for each output medium (pure).

Campaign names, lastError messages, labels and field values come from the
tenant, which can hold anything. Every renderer passes such text through
one of these before it reaches a terminal, a PR comment or a spreadsheet:

* ``visible(text)``: for text output. Control characters (C0, DEL, C1),
  line and paragraph separators and bidirectional overrides become visible
  escapes (``\\n``, ``\\x1b``, ``\\u202e``), so a value can neither forge a
  line nor reorder or recolour what follows it.
* ``md_text(text)``: for Markdown (GitHub flavoured), anywhere inline, table
  cells included. ``visible`` first (no raw newline ends a cell or a block),
  then ``& < >`` become entities (no HTML: ``</details>``, ``<img>``), the
  characters that start inline Markdown (``\\ ` * _ [ ] | ~ $ # ! { } ( )``)
  are backslash-escaped (``|`` can then not split a table cell), and ``@``
  is followed by a word joiner (U+2060) so ``@team`` mentions nobody.
* ``md_code(text)``: ``md_text`` in ``<code>``: the look of a code span
  without its traps (a backtick or ``|`` inside a real code span breaks it).
* ``md_span(text)``: a real code span, outside tables only (``visible``,
  then a backtick fence longer than any backtick run inside).
* ``md_html(text)``: for text inside a raw HTML block (the ``<summary>``
  line of a ``<details>``), where Markdown is not parsed: ``visible``,
  HTML-escaped, mentions neutralised.
* ``csv_cell(value)``: for CSV. A text cell starting with ``= + - @``, a tab
  or a carriage return gets a leading apostrophe so spreadsheets do not run
  it as a formula; the csv module does the quoting.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["FORMULA_STARTS", "csv_cell", "md_code", "md_html", "md_span", "md_text", "visible"]

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_WORD_JOINER = "\u2060"
_MARKDOWN = {
    **{c: "\\" + c for c in "\\`*_[]|~$#!{}()"},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "@" + _WORD_JOINER,
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet treat a cell as a formula (OWASP CSV injection)."""


def _hidden(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control, separator and bidi-override character as a visible escape."""
    # isprintable() is False for every hidden character (controls, Zl, Zp, and the
    # bidi controls, which are Cf): printable text is checked in C, not per character
    if text.isprintable() or not any(_hidden(c) for c in text):
        return text
    return "".join(_escape(c) if _hidden(c) else c for c in text)


def md_text(text: str) -> str:
    """``text`` as inline Markdown that renders as exactly that text (on one line)."""
    return "".join(_MARKDOWN.get(c, c) for c in visible(text))


def md_code(text: str) -> str:
    """``text`` in ``<code>``, safe inline and in a table cell."""
    return f"<code>{md_text(text)}</code>"


def md_span(text: str) -> str:
    """``text`` as a Markdown code span; not for table cells, where ``|`` would split it."""
    shown = visible(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    pad = " " if shown.startswith(("`", " ")) or shown.endswith(("`", " ")) or not shown else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def md_html(text: str) -> str:
    """``text`` inside raw HTML in Markdown (no Markdown is parsed there)."""
    return html.escape(visible(text), quote=True).replace("@", "@" + _WORD_JOINER)


def csv_cell(value: object) -> object:
    """A CSV cell value: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
