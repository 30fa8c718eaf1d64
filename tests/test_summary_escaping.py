"""summary's table, Markdown and CSV escape tenant text: hostile names change no structure."""

from __future__ import annotations

import csv
import io

import pytest

from reconciler.summary import Row, render_csv, render_markdown, render_table
from reconciler.tenant import Statistics
from tests.hostile import HOSTILE, MENTION, TAGS, cells, hidden

FIGURES = Statistics(total_calls=100, answered=40, abandoned=4, avg_talk_time=90.0, connect_rate=0.4)


def rows(text: str) -> list[Row]:
    return [Row(text, text, text, FIGURES, 0.03), Row("Benign", "CMP-1", "RUNNING", FIGURES, 0.5)]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_markdown_summary_keeps_its_table(text: str) -> None:
    hostile, benign = render_markdown(rows(text), "t"), render_markdown(rows("x"), "t")
    assert hostile.count("\n") == benign.count("\n")
    assert not TAGS.findall(hostile)
    assert not MENTION.search(hostile)
    assert not hidden(hostile)
    assert [cells(line) for line in hostile.splitlines()] == [cells(line) for line in benign.splitlines()]
    assert hostile.count(":warning:") == 1  # the over-cap flag, whatever the name says


@pytest.mark.parametrize("text", HOSTILE)
def test_the_text_summary_keeps_its_lines(text: str) -> None:
    hostile, benign = render_table(rows(text), text), render_table(rows("x"), "x")
    assert hostile.count("\n") == benign.count("\n")
    assert not hidden(hostile)


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_round_trips_and_no_cell_is_a_formula(text: str) -> None:
    parsed = list(csv.DictReader(io.StringIO(render_csv(rows(text)))))
    assert len(parsed) == 2
    guarded = "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    assert [parsed[0][k] for k in ("name", "campaignId", "status")] == [guarded] * 3
    assert parsed[1]["name"] == "Benign"
    assert all(not v.startswith(("=", "+", "-", "@")) for row in parsed for v in row.values())
