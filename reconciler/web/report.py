"""`reconciler summary --format html`: one self-contained HTML file (figures, styles and Chart.js inlined).

It opens from ``file://`` with no network: its Content-Security-Policy
allows no source but what is inside the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup

from reconciler.performance import Row, totals
from reconciler.web import CHART_JS, asset_text, environment

__all__ = ["render_html"]


def _inline(text: str, tag: str) -> Markup:
    """A package asset to inline in a ``<tag>`` element: it must not close that element early."""
    if f"</{tag}" in text.lower():
        raise ValueError(f"the asset cannot be inlined in <{tag}>: it contains </{tag}")
    return Markup(text.replace("//# sourceMappingURL=", "// sourceMappingURL: "))


def render_html(rows: Sequence[Row], target: str, *, generated: datetime | None = None) -> str:
    """The report of these rows on ``target``."""
    shown = [{**r.to_json(), "cap": r.cap} for r in rows]
    total = totals(rows)
    stamp = (generated or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        environment()
        .get_template("report.html")
        .render(
            target=target,
            rows=shown,
            over=[r for r in shown if r["overAbandonCap"]],
            totals=total,
            total_abandon=total["abandoned"] / total["answered"] if total["answered"] else 0.0,
            generated=stamp,
            css=_inline(asset_text("dashboard.css"), "style"),
            chartjs=_inline(asset_text(CHART_JS), "script"),
            script=_inline(asset_text("dashboard.js"), "script"),
        )
    )
