"""Performance of the managed campaigns: rows and their renderings (pure).

``reconciler.summary.collect`` is the I/O half that reads the rows from the
tenant; everything here is pure.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.escape import csv_cell, md_span, md_text, visible
from reconciler.tenant import Statistics

__all__ = [
    "KEYS",
    "RENDERERS",
    "Row",
    "over_cap",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
    "totals",
]

KEYS = ("name", "campaignId", "status", "totalCalls", "answered", "abandoned", "avgTalkTime", "connectRate")


@dataclass(frozen=True)
class Row:
    name: str
    campaign_id: str
    status: str
    stats: Statistics
    cap: float

    @property
    def abandon_rate(self) -> float:
        return self.stats.abandoned / self.stats.answered if self.stats.answered else 0.0

    @property
    def over_cap(self) -> bool:
        return self.abandon_rate > self.cap

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "campaignId": self.campaign_id,
            "status": self.status,
            "totalCalls": self.stats.total_calls,
            "answered": self.stats.answered,
            "abandoned": self.stats.abandoned,
            "avgTalkTime": self.stats.avg_talk_time,
            "connectRate": self.stats.connect_rate,
            "abandonRate": round(self.abandon_rate, 4),
            "overAbandonCap": self.over_cap,
        }


def totals(rows: Sequence[Row]) -> dict[str, Any]:
    total = sum(r.stats.total_calls for r in rows)
    answered = sum(r.stats.answered for r in rows)
    talk = sum(r.stats.avg_talk_time * r.stats.answered for r in rows)
    return {
        "campaigns": len(rows),
        "totalCalls": total,
        "answered": answered,
        "abandoned": sum(r.stats.abandoned for r in rows),
        "avgTalkTime": round(talk / answered, 1) if answered else 0.0,
        "connectRate": round(answered / total, 4) if total else 0.0,
    }


def render_json(rows: Sequence[Row], target: str) -> str:
    return json.dumps(
        {"target": target, "campaigns": [r.to_json() for r in rows], "totals": totals(rows)}, indent=2
    )


def render_csv(rows: Sequence[Row], target: str = "") -> str:
    """A header row of ``KEYS`` and one row per campaign; data only, so ``target`` is not shown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KEYS)
    for r in rows:
        data = r.to_json()
        writer.writerow([csv_cell(data[k]) for k in KEYS])
    return out.getvalue().rstrip("\n")


def _cells(
    rows: Sequence[Row], escape: Callable[[str], str], flag: str
) -> tuple[list[str], list[list[str]], list[str]]:
    head = ["campaign", "id", "status", "calls", "answered", "abandoned", "abandon %", "avg talk", "connect"]
    body = [
        [
            escape(r.name),
            escape(r.campaign_id),
            escape(r.status),
            f"{r.stats.total_calls:,}",
            f"{r.stats.answered:,}",
            f"{r.stats.abandoned:,}",
            f"{r.abandon_rate:.1%}" + (f" > {r.cap:.0%} cap {flag}" if r.over_cap else ""),
            f"{r.stats.avg_talk_time:.0f} s",
            f"{r.stats.connect_rate:.1%}",
        ]
        for r in rows
    ]
    t = totals(rows)
    abandon = t["abandoned"] / t["answered"] if t["answered"] else 0.0
    foot = [
        f"total ({t['campaigns']})",
        "",
        "",
        f"{t['totalCalls']:,}",
        f"{t['answered']:,}",
        f"{t['abandoned']:,}",
        f"{abandon:.1%}",
        f"{t['avgTalkTime']:.0f} s",
        f"{t['connectRate']:.1%}",
    ]
    return head, body, foot


def render_table(rows: Sequence[Row], target: str) -> str:
    head, body, foot = _cells(rows, visible, "!")
    widths = [max(len(line[i]) for line in [head, *body, foot]) for i in range(len(head))]
    numeric = set(range(3, len(head)))

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join(
        [f"Target: {visible(target)}", "", line(head), rule, *(line(b) for b in body), rule, line(foot)]
    )


def render_markdown(rows: Sequence[Row], target: str) -> str:
    head, body, foot = _cells(rows, md_text, ":warning:")
    lines = [f"### Campaign performance ({md_span(target)})", "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|")
    for cells in body:
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("| " + " | ".join(f"**{c}**" if c else "" for c in foot) + " |")
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Sequence[Row], str], str]] = {
    "table": render_table,
    "markdown": render_markdown,
    "json": render_json,
    "csv": render_csv,
}
"""summary's text renderers by --format: each takes the rows and the target's label
(the HTML report, with its templates and charts, is ``reconciler.web.report``)."""


def over_cap(rows: Sequence[Row]) -> list[Row]:
    """The rows whose abandon rate is above their cap."""
    return [r for r in rows if r.over_cap]
