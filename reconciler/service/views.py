"""What the service knows of each campaign: the last read of the tenant against the specs, and drift (pure).

A ``Snapshot`` is the specs and the live campaigns as last read; the drift of
each campaign is computed from it with the engine's own diff, once per
snapshot. Suspensions and errors override drift when a campaign is shown
(first match wins: suspended, error, missing, unowned, drifted, in-sync).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.engine.diff import Desired, plan_campaign
from reconciler.spec.models import Campaign
from reconciler.tenant import Action, LiveCampaign

__all__ = ["ORPHANED", "Drift", "Snapshot", "campaign_json", "drift_of", "iso"]

ORPHANED = "<orphaned>"
_GENERATIONS = itertools.count(1)


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Drift:
    state: str
    fields: tuple[str, ...] = ()


def drift_of(spec: Campaign | None, live: LiveCampaign | None) -> Drift:
    """Drift of one campaign from its spec, before suspensions and errors are considered."""
    if spec is None:
        return Drift("drifted", (ORPHANED,))
    if live is None:
        return Drift("missing")
    if not live.owned:
        return Drift("unowned")
    change = plan_campaign(Desired.from_spec(spec), live)
    fields = [f.path for f in change.fields]
    if (Action.START in change.actions) != (Action.STOP in change.actions):
        fields.append("state")
    return Drift("drifted", tuple(fields)) if fields else Drift("in-sync")


@dataclass
class Snapshot:
    """The specs and the tenant as last read, and each campaign's drift."""

    specs: dict[str, Campaign]
    live: dict[str, LiveCampaign]
    at: float
    drift: dict[str, Drift] = field(default_factory=dict)
    revision: int = 0
    """Counts changes since the read, so what is rendered from it can be cached."""
    generation: int = field(default_factory=lambda: next(_GENERATIONS))
    """Tells snapshots apart (an ``id`` may be reused once one is dropped)."""

    @classmethod
    def of(cls, specs: Iterable[Campaign], live: Sequence[LiveCampaign], *, at: float) -> Snapshot:
        snapshot = cls({s.name: s for s in specs}, {c.name: c for c in live}, at)
        snapshot.recompute()
        return snapshot

    def names(self) -> list[str]:
        """Every declared campaign, then every owned live one no spec declares."""
        orphans = sorted(n for n, c in self.live.items() if c.owned and n not in self.specs)
        return [*sorted(self.specs), *orphans]

    def recompute(self, names: Iterable[str] | None = None) -> None:
        for name in self.names() if names is None else names:
            if name in self.specs or (name in self.live and self.live[name].owned):
                self.drift[name] = drift_of(self.specs.get(name), self.live.get(name))
            else:
                self.drift.pop(name, None)

    def put(self, campaign: LiveCampaign) -> None:
        """One campaign read again (after an operation or a pacing change)."""
        self.live[campaign.name] = campaign
        self.recompute([campaign.name])
        self.revision += 1

    def known(self, name: str) -> bool:
        return name in self.drift


def campaign_json(
    name: str,
    snapshot: Snapshot,
    *,
    suspension: Mapping[str, Any] | None,
    error: str | None,
    realtime: Mapping[str, Any] | None,
) -> dict[str, Any]:
    spec, live = snapshot.specs.get(name), snapshot.live.get(name)
    drift = snapshot.drift.get(name, Drift("missing"))
    if suspension is not None:
        drift = Drift("suspended")
    elif error is not None:
        drift = Drift("error")
    last_error: dict[str, str] | None = None
    if error is not None:
        last_error = {"code": "OPERATION_FAILED", "message": error}
    elif live is not None and live.last_error is not None:
        last_error = {"code": live.last_error.code, "message": live.last_error.message}
    data: dict[str, Any] = {
        "name": name,
        "campaignId": live.id if live else None,
        "status": str(live.status) if live else None,
        "drift": drift.state,
        "driftFields": list(drift.fields),
        "pacing": dict(live.definition["pacing"]) if live and live.definition.get("pacing") else None,
        "realtime": dict(realtime) if realtime is not None else None,
        "suspended": dict(suspension) if suspension is not None else None,
        "lastError": last_error,
    }
    if spec is not None:
        data["desiredState"] = spec.spec.state
    return data
