"""The dashboard's templates and vendored static assets, and the Jinja2 environment that renders them.

Autoescape is on for every template; tenant-provided text also goes through
``visible`` (no control or bidi-override character reaches the page), and
data for the charts is embedded with ``tojson`` (HTML-safe JSON).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from reconciler.escape import visible

__all__ = ["CHART_JS", "asset_text", "environment", "static_dir"]

CHART_JS = "vendor/chart.js/chart.umd.min.js"
"""The vendored charting library (Chart.js, see its VENDORED.md), relative to ``static_dir()``."""


def static_dir() -> Path:
    """The folder of the static assets (served at /static by the dashboard)."""
    return Path(str(resources.files("reconciler.web").joinpath("static")))


def asset_text(name: str) -> str:
    """One static asset's text (the HTML report inlines them)."""
    return (static_dir() / name).read_text(encoding="utf-8")


def _percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def _utc(stamp: str | None) -> str:
    """An ISO time as the page shows it before the browser puts it in its own zone."""
    if not stamp:
        return "–"
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def environment() -> Environment:
    """The templates, autoescaped, with the filters they use."""
    env = Environment(
        loader=PackageLoader("reconciler.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["visible"] = visible
    env.filters["percent"] = _percent
    env.filters["utc"] = _utc
    env.filters["urlname"] = lambda name: quote(name, safe="")
    return env
