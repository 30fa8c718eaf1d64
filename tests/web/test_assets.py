"""The vendored chart library is the pinned npm release with its licence; the package ships every asset."""

from __future__ import annotations

import hashlib
import tomllib
from fnmatch import fnmatch

from reconciler.web import CHART_JS, static_dir
from tests.paths import ROOT

CHART_JS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"
"""sha256 of package/dist/chart.umd.min.js in `npm pack chart.js@4.6.1` (see VENDORED.md)."""


def test_the_vendored_chart_js_is_the_pinned_release_with_its_licence() -> None:
    library = static_dir() / CHART_JS
    assert hashlib.sha256(library.read_bytes()).hexdigest() == CHART_JS_SHA256
    licence = (library.parent / "LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Chart.js Contributors" in licence


def test_package_data_ships_every_template_and_static_file() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    web = ROOT / "reconciler" / "web"
    files = [p.relative_to(ROOT / "reconciler").as_posix() for p in web.rglob("*") if p.is_file()]
    shipped = [f for f in files if not f.endswith(".py") and "__pycache__" not in f]
    assert shipped and all(any(fnmatch(f, p) for p in patterns["reconciler"]) for f in shipped), shipped
