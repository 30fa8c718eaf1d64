"""Desired specs x live campaigns -> what has drifted (pure: no I/O, no clock).

Drift is read off the plan's own diff (``plan_campaign``), so "differs" means
the same thing to ``drift`` as to ``plan``: one normal form, the adaptive
pacing range, and the same lifecycle rules (a COMPLETED campaign whose spec
says running is not restarted by plan, so it is not drift either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.engine.diff import Desired, plan_campaign
from reconciler.tenant import ACTIVE, Action, LiveCampaign

__all__ = ["COMPLIANCE_PATHS", "Drift", "DriftField", "DriftReport", "Kind", "detect"]

FORMAT_VERSION = 1
COMPLIANCE_PATHS = ("dnc", "schedule")
"""Top-level fields whose drift is a compliance matter (product.md section 9).

The abandon-rate cap (``adaptivePacing.maxAbandonRate``) lives only in the
spec, never on the tenant, so it cannot drift."""


class Kind(StrEnum):
    CHANGED = "changed"
    """Owned, and the tenant differs from the spec."""
    MISSING = "missing"
    """A spec names it; the tenant has no campaign of that name."""
    ORPHANED = "orphaned"
    """Owned by the reconciler, but no spec names it."""
    UNOWNED = "unowned"
    """A spec names a live campaign the reconciler does not own."""


@dataclass(frozen=True)
class DriftField:
    """One drifted field: what the spec expects and what the tenant holds."""

    path: str
    expected: Any
    live: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "live": self.live}


@dataclass(frozen=True)
class Drift:
    """One campaign that differs, and how."""

    name: str
    campaign_id: str | None
    kind: Kind
    fields: tuple[DriftField, ...] = ()
    notes: tuple[str, ...] = ()
    """What the tenant says beside the fields (an ERROR's code and message); text and Markdown only."""

    @property
    def compliance(self) -> bool:
        return any(f.path.split(".", 1)[0] in COMPLIANCE_PATHS for f in self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "campaignId": self.campaign_id,
            "kind": self.kind.value,
            "fields": [f.to_json() for f in self.fields],
            "compliance": self.compliance,
        }


@dataclass(frozen=True)
class DriftReport:
    """Every drifted campaign of one target, and how much of the tenant is managed."""

    target: str
    drift: tuple[Drift, ...]
    managed: int
    """Owned live campaigns, declared or not."""
    live: int

    @property
    def has_drift(self) -> bool:
        return bool(self.drift)

    @property
    def compliance(self) -> bool:
        return any(d.compliance for d in self.drift)

    def count(self, kind: Kind) -> int:
        return sum(d.kind == kind for d in self.drift)

    @property
    def coverage(self) -> str:
        return f"{self.managed} of {self.live} live campaigns are managed"

    def to_json(self) -> dict[str, Any]:
        return {
            "formatVersion": FORMAT_VERSION,
            "target": self.target,
            "drift": [d.to_json() for d in self.drift],
            "coverage": {"managed": self.managed, "live": self.live},
        }


def _state(desired: Desired, live: LiveCampaign, actions: Sequence[Action]) -> DriftField | None:
    """The lifecycle as plan sees it: a start of a campaign that is not active, or a stop the spec asks for.

    A stop and start forced by a locked field of a running campaign is not a
    state difference: the field is.
    """
    starts = Action.START in actions and live.status not in ACTIVE
    stops = Action.STOP in actions and not desired.running
    if not (starts or stops):
        return None
    return DriftField("state", "running" if desired.running else "stopped", live.status.value)


def _changed(desired: Desired, live: LiveCampaign) -> Drift | None:
    change = plan_campaign(desired, live)
    fields = [DriftField(f.path, f.after, f.before) for f in change.fields]
    state = _state(desired, live, change.actions)
    if state is not None:
        fields.append(state)
    if not fields:
        return None
    notes = tuple(n for n in change.notes if n.startswith("in ERROR"))
    return Drift(live.name, live.id, Kind.CHANGED, tuple(fields), notes)


def detect(desired: Sequence[Desired], live: Sequence[LiveCampaign], *, target: str) -> DriftReport:
    """What differs between the specs and the tenant; plans no action."""
    by_name = {c.name: c for c in live}
    wanted = {d.name for d in desired}
    found: list[Drift] = []
    for d in desired:
        current = by_name.get(d.name)
        if current is None:
            found.append(Drift(d.name, None, Kind.MISSING))
        elif not current.owned:
            found.append(Drift(d.name, current.id, Kind.UNOWNED))
        else:
            changed = _changed(d, current)
            if changed is not None:
                found.append(changed)
    owned = [c for c in live if c.owned]
    found += [Drift(c.name, c.id, Kind.ORPHANED) for c in owned if c.name not in wanted]
    return DriftReport(
        target=target,
        drift=tuple(sorted(found, key=lambda d: d.name)),
        managed=len(owned),
        live=len(live),
    )
