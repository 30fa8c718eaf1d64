"""`summary`'s I/O half: read the performance rows from the tenant.

The rows and their renderings are pure and live in ``reconciler.performance``
(re-exported here, so ``reconciler.summary`` still offers them).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import aio
from reconciler.performance import (
    KEYS,
    RENDERERS,
    Row,
    over_cap,
    render_csv,
    render_json,
    render_markdown,
    render_table,
    totals,
)
from reconciler.spec.compliance import LEGAL_ABANDON_CAP
from reconciler.spec.models import Campaign
from reconciler.tenant import Tenant

__all__ = [
    "KEYS",
    "RENDERERS",
    "Row",
    "collect",
    "over_cap",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
    "totals",
]


async def collect(tenant: Tenant, specs: Sequence[Campaign]) -> tuple[list[Row], list[str]]:
    """Rows for the owned campaigns the specs name; the names not found live."""
    live = {c.name: c for c in await tenant.campaigns() if c.owned}
    named = [s for s in specs if s.name in live]
    missing = [s.name for s in specs if s.name not in live]
    stats = await aio.gather(*(tenant.statistics(live[s.name].id) for s in named))
    rows = [
        Row(
            s.name,
            live[s.name].id,
            live[s.name].status,
            figures,
            s.spec.adaptivePacing.maxAbandonRate if s.spec.adaptivePacing else LEGAL_ABANDON_CAP,
        )
        for s, figures in zip(named, stats, strict=True)
    ]
    return sorted(rows, key=lambda r: r.name), missing
