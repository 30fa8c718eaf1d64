"""The service's figures: the same pacing decision and summary rows as `reconciler pace` and `summary`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.pacing import Decision, decide
from reconciler.spec.compliance import LEGAL_ABANDON_CAP
from reconciler.spec.models import AdaptivePacing, Campaign
from reconciler.summary import Row, totals
from reconciler.tenant import LiveCampaign, Realtime, Statistics

__all__ = ["decide_pacing", "summary_row", "summary_totals"]


def decide_pacing(
    rules: AdaptivePacing,
    figures: Realtime,
    current: dict[str, int],
    *,
    now: float,
    last_change_at: float | None,
) -> Decision:
    """`reconciler pace`'s decision for these realtime figures (pacing.decide, unchanged)."""
    return decide(rules, figures, current, now=now, last_change_at=last_change_at)


def _row(spec: Campaign, live: LiveCampaign, figures: Statistics) -> Row:
    rules = spec.spec.adaptivePacing
    return Row(
        spec.name, live.id, str(live.status), figures, rules.maxAbandonRate if rules else LEGAL_ABANDON_CAP
    )


def summary_row(spec: Campaign, live: LiveCampaign, figures: Statistics) -> dict[str, Any]:
    """One row as `reconciler summary --format json` prints it."""
    return _row(spec, live, figures).to_json()


def summary_totals(rows: Sequence[tuple[Campaign, LiveCampaign, Statistics]]) -> dict[str, Any]:
    return totals([_row(spec, live, figures) for spec, live, figures in rows])
