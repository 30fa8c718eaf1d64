"""The house's layering, enforced: the core knows the tenant interface, never HTTP, the CLI or a database."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = (
    "reconciler.tenant",
    "reconciler.runtime",
    "reconciler.engine.diff",
    "reconciler.engine.plan",
    "reconciler.engine.outcome",
    "reconciler.engine.waiter",
    "reconciler.engine.apply",
    "reconciler.engine.references",
    "reconciler.engine.reconcile",
    "reconciler.engine.render",
    "reconciler.engine.risks",
    "reconciler.pacing",
    "reconciler.pacer",
    "reconciler.performance",
    "reconciler.summary",
    "reconciler.doctor",
)
FORBIDDEN = (
    "httpx",
    "click",
    "sqlite3",
    "starlette",
    "reconciler.cxone",
    "reconciler.emulator",
    "reconciler.cli",
)


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_http_client_cli_database_or_emulator(module: str) -> None:
    code = (
        f"import sys; import {module}; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or "
        f"any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r})); "
        "print(','.join(bad))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "", f"{module} pulls in {found.stdout.strip()}"
