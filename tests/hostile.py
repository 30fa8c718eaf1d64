"""Hostile text a live tenant can hold in names, ids, labels, values and error messages."""

from __future__ import annotations

import re

HOSTILE = (
    "</details><img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "@team please approve @org/admins",
    "a|b|c",
    "`code` ``x`` ```",
    "line1\nline2",
    "\r\nTarget: https://evil.example",
    "\x1b[31mred\x1b[0m\x07",
    "abc\u202edcba\u2066x\u2069",
    "\\|backslash-pipe\\",
    '=HYPERLINK("http://evil.example")',
    "+1-2",
    "-cmd",
    "@SUM(A1)",
    "**bold** _it_ [link](http://x) ![img](http://x) ~~s~~ $x$",
    "&lt;already&gt; &amp;",
    "# heading",
    "\u2028sep\u0085nel\x7fdel\x00nul\tTab",
    "\\",
    "",
)
"""Each also tried as the only text of an otherwise benign output."""

TAGS = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


def hidden(text: str) -> list[str]:
    """Characters a terminal or a renderer would act on rather than show (newline aside)."""
    import unicodedata

    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return [c for c in text if c != "\n" and (c in bidi or unicodedata.category(c) in ("Cc", "Zl", "Zp"))]


def cells(row: str) -> int:
    """How many cells GitHub splits a table row into (pipes escaped by a backslash do not split)."""
    return len(UNESCAPED_PIPE.findall(row)) - 1
