"""Plan and apply reports escape tenant text for their medium: hostile text changes no structure."""

from __future__ import annotations

import re

import pytest

from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Change, FieldChange, Plan
from reconciler.engine.render import render_markdown, render_outcomes, render_text
from reconciler.escape import csv_cell, md_code, md_html, md_span, md_text, visible
from tests.hostile import HOSTILE, MENTION, TAGS, cells, hidden

OURS = {"details", "summary", "code", "b", "sub"}


def plan_with(text: str) -> Plan:
    """Every place a plan shows tenant text holds ``text`` (the target: see md_span)."""
    return Plan(
        "https://t",
        (
            Change(
                text,
                text or "CMP-0",
                ("stop", "update", "start"),
                (
                    FieldChange(f"labels.{text}", text, None),
                    FieldChange("description", None, text),
                    FieldChange("schedule.timezone", {"zone": text}, [text]),
                ),
                status=text,
                notes=(f"lastError: {text}",),
            ),
            Change("Benign", "CMP-1", ("delete",)),
        ),
        warnings=(f"r.yaml:1:1: warning: {text}",),
    )


def ticks(markdown: str) -> int:
    """Backticks that open or close a code span: unescaped, outside raw HTML (the summary line)."""
    lines = [line for line in markdown.splitlines() if not line.startswith("<summary>")]
    return sum(len(UNESCAPED_TICK.findall(line)) for line in lines)


UNESCAPED_TICK = re.compile(r"(?<!\\)(?:\\\\)*`")


@pytest.mark.parametrize("text", HOSTILE)
def test_the_markdown_plan_keeps_its_structure(text: str) -> None:
    hostile, benign = render_markdown(plan_with(text)), render_markdown(plan_with("x"))
    assert hostile.count("\n") == benign.count("\n")
    assert {tag for _, tag in TAGS.findall(hostile)} <= OURS
    assert TAGS.findall(hostile) == TAGS.findall(benign)
    assert not MENTION.search(hostile)
    assert ticks(hostile) == ticks(benign)
    assert not hidden(hostile)
    rows = [line for line in hostile.splitlines() if line.startswith("|")]
    assert rows and all(cells(row) == cells(rows[-1]) for row in rows[-3:])
    assert [cells(row) for row in rows] == [cells(row) for row in benign.splitlines() if row.startswith("|")]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_text_plan_and_the_apply_report_keep_their_lines(text: str) -> None:
    for hostile, benign in [
        (render_text(plan_with(text)), render_text(plan_with("x"))),
        (
            render_outcomes([Outcome(text, text, ("update",), failed_action="update", error=text)], text),
            render_outcomes([Outcome("x", "x", ("update",), failed_action="update", error="x")], "x"),
        ),
    ]:
        assert hostile.count("\n") == benign.count("\n")
        assert not hidden(hostile)


def test_what_each_escape_makes_of_hostile_text() -> None:
    assert visible("a\nb\x1b[0m\u202ec\td\x7f\x85") == "a\\nb\\x1b[0m\\u202ec\\td\\x7f\\x85"
    assert visible("plain – ü ✓ 名前") == "plain – ü ✓ 名前"
    assert md_text("</details>") == "&lt;/details&gt;"
    assert md_text("a|b `c` *d* @team") == "a\\|b \\`c\\` \\*d\\* @\u2060team"
    assert md_text("x\ny") == "x\\\\ny"
    assert md_code("a|b") == "<code>a\\|b</code>"
    assert md_span("https://t") == "`https://t`" and md_span("a``b") == "```a``b```"
    assert md_html('<b>"x" & @y</b>') == "&lt;b&gt;&quot;x&quot; &amp; @\u2060y&lt;/b&gt;"
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@A1", "\tx", "ok", -1, 0.5)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\tx",
        "ok",
        -1,
        0.5,
    ]
