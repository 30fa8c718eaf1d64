"""summary's halves: performance (rows, renderers) is pure; summary.collect does the I/O."""

from __future__ import annotations

import subprocess
import sys

from reconciler import performance, summary


def test_the_renderers_and_policies_import_neither_httpx_nor_click() -> None:
    code = (
        "import sys; import reconciler.performance, reconciler.escape, reconciler.engine.risks,"
        " reconciler.engine.render, reconciler.pacing;"
        "bad = [m for m in ('httpx', 'click', 'sqlite3') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_summary_keeps_offering_what_moved_to_performance() -> None:
    assert summary.Row is performance.Row
    assert summary.RENDERERS is performance.RENDERERS
    assert list(performance.RENDERERS) == ["table", "markdown", "json", "csv"]
    from reconciler.cli.operate import SUMMARY_RENDERERS

    assert list(SUMMARY_RENDERERS) == ["table", "markdown", "json", "csv", "html"]
    assert callable(summary.collect)
