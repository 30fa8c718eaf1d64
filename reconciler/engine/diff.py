"""Desired specs x live campaigns -> a Plan (pure: no I/O, no clock).

Both sides are first put in one normal form (``definition()``), so defaults,
DNC list order and server-side fields never show as phantom changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.engine.plan import ACTIONS, Change, FieldChange, Launch, Plan, is_locked
from reconciler.errors import OwnershipConflict
from reconciler.spec.models import MANAGED_BY_KEY, MANAGED_BY_VALUE, Campaign
from reconciler.tenant import ACTIVE, Action, LiveCampaign, Status

__all__ = ["Desired", "diff", "field_changes", "flatten", "is_owned", "plan_campaign"]

ORPHAN_STOP = Launch(poll_interval=1.0, poll_jitter=1.0, timeout=600.0)
"""How apply waits for a pruned campaign to stop before deleting it (no spec says otherwise)."""

_RANK = {
    "description": 0,
    "dialerType": 1,
    "contactListId": 2,
    "pacing": 3,
    "dnc": 4,
    "schedule": 5,
    "acd": 6,
    "labels": 7,
}
RATIO_RANGE = (1, 3)
"""The range adaptive pacing moves ``acd.maximumRatio`` in (provider cxone-acd)."""


@dataclass(frozen=True)
class Desired:
    """What one spec asks of the tenant."""

    name: str
    definition: dict[str, Any]
    running: bool
    launch: Launch
    pacing_range: tuple[int, int] | None = None
    opt_outs: tuple[tuple[str, str], ...] = ()
    ratio_range: tuple[int, int] | None = None
    """With adaptive pacing: ``acd.maximumRatio`` inside it is the pacer's, not drift."""

    @classmethod
    def from_spec(cls, campaign: Campaign) -> Desired:
        spec = campaign.spec
        adaptive = spec.adaptivePacing
        return cls(
            name=campaign.name,
            definition=campaign.definition(),
            running=spec.state == "running",
            launch=Launch(spec.launch.pollInterval, spec.launch.pollJitter, spec.launch.timeout),
            pacing_range=(adaptive.minCallsPerMinute, adaptive.maxCallsPerMinute)
            if adaptive and adaptive.minCallsPerMinute is not None and adaptive.maxCallsPerMinute is not None
            else None,
            opt_outs=_opt_outs(campaign),
            ratio_range=RATIO_RANGE if adaptive else None,
        )


def _opt_outs(campaign: Campaign) -> tuple[tuple[str, str], ...]:
    opted = campaign.spec.complianceOptOuts
    if opted is None:
        return ()
    return tuple(
        (rule, reason.reason)
        for rule, reason in (("maxAbandonRate", opted.maxAbandonRate), ("callingHours", opted.callingHours))
        if reason is not None
    )


class _Labelled(Protocol):
    @property
    def labels(self) -> Mapping[str, str]: ...


def is_owned(campaign: _Labelled) -> bool:
    return campaign.labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def flatten(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A definition as dotted paths and values: the form field changes are made of."""
    flat: dict[str, Any] = {
        "description": definition["description"],
        "dialerType": definition["dialerType"],
        "contactListId": definition["contactListId"],
    }
    for group in ("pacing", "dnc"):
        for key, value in definition[group].items():
            flat[f"{group}.{key}"] = value
    schedule = definition.get("schedule")
    if schedule is None:
        flat["schedule"] = None
    else:
        flat["schedule.timeZone"] = schedule["timeZone"]
        flat["schedule.windows"] = schedule["windows"]
    for key, value in (definition.get("acd") or {}).items():
        if value is not None:  # unset: the tenant's value stays
            flat[f"acd.{key}"] = value
    for key, value in definition.get("labels", {}).items():
        flat[f"labels.{key}"] = value
    return flat


def _order(path: str) -> tuple[int, str]:
    return _RANK.get(path.split(".", 1)[0], 99), path


def field_changes(
    live: Mapping[str, Any] | None,
    desired: Mapping[str, Any],
    pacing_range: tuple[int, int] | None = None,
    ratio_range: tuple[int, int] | None = None,
) -> tuple[FieldChange, ...]:
    """Field-level before/after; ``live`` None means a create.

    An ``acd.*`` setting the spec leaves unset keeps the tenant's value (no change).
    """
    before = flatten(live) if live else {}
    after = flatten(desired)
    if live and (live.get("schedule") is None) != (desired.get("schedule") is None):
        # a schedule added or removed is one change of the whole value
        before = {k: v for k, v in before.items() if not k.startswith("schedule")}
        after = {k: v for k, v in after.items() if not k.startswith("schedule")}
        before["schedule"], after["schedule"] = live.get("schedule"), desired.get("schedule")
    changes = []
    for path in sorted(set(before) | set(after), key=_order):
        old, new = before.get(path), after.get(path)
        if old == new or (path.startswith("acd.") and path not in after):
            continue
        if ratio_range and live and _paced_ratio(path, old, new, live, ratio_range):
            continue
        if path == "pacing.callsPerMinute" and pacing_range and old is not None:
            low, high = pacing_range
            if low <= old <= high:
                continue  # inside the adaptive range: the pacer's, not drift
        changes.append(FieldChange(path, old, new))
    return tuple(changes)


def _paced_ratio(
    path: str, old: Any, new: Any, live: Mapping[str, Any], ratio_range: tuple[int, int]
) -> bool:
    """A difference adaptive pacing made: a maximumRatio in its range, or PREDICTIVE paced down to 1."""
    low, high = ratio_range
    if path == "acd.maximumRatio":
        return isinstance(old, int) and low <= old <= high
    ratio = (live.get("acd") or {}).get("maximumRatio")
    return path == "dialerType" and (old, new) == ("PROGRESSIVE", "PREDICTIVE") and ratio == low


def plan_campaign(desired: Desired, live: LiveCampaign | None) -> Change:
    if live is None:
        return Change(
            name=desired.name,
            campaign_id=None,
            actions=(Action.CREATE, Action.START) if desired.running else (Action.CREATE,),
            fields=field_changes(None, desired.definition),
            launch=desired.launch,
            opt_outs=desired.opt_outs,
        )
    fields = field_changes(live.definition, desired.definition, desired.pacing_range, desired.ratio_range)
    actions: set[Action] = set()
    notes: list[str] = []
    adopting = not live.owned
    if adopting:
        actions.add(Action.ADOPT)
    if any(f.top != "labels" or not adopting for f in fields):
        actions.add(Action.UPDATE)
    locked = sorted({f.top for f in fields if is_locked(f)})
    status = live.status
    if status in ACTIVE and locked:
        actions.add(Action.STOP)
        if desired.running:
            actions.add(Action.START)
        notes.append(f"{', '.join(locked)} cannot change while {status}: stop, update, start")
    elif desired.running:
        if status in (Status.STOPPED, Status.ERROR, Status.STOPPING):
            actions.add(Action.START)
        if status == Status.COMPLETED:
            notes.append("COMPLETED (its contact list is dialled out): reported, not restarted")
    elif status in ACTIVE:
        actions.add(Action.STOP)
    if status == Status.ERROR and live.last_error is not None:
        notes.append(f"in ERROR: {live.last_error.code}: {live.last_error.message}")
    ordered = tuple(a for a in ACTIONS if a in actions)
    return Change(
        name=desired.name,
        campaign_id=live.id,
        actions=ordered,
        fields=fields,
        revision=live.revision,
        status=status,
        launch=desired.launch,
        notes=tuple(notes),
        opt_outs=desired.opt_outs,
    )


def diff(
    desired: Sequence[Desired],
    live: Sequence[LiveCampaign],
    *,
    target: str,
    prune: bool = False,
    adopt: bool = False,
    specs: int | None = None,
) -> Plan:
    by_name = {c.name: c for c in live}
    conflicts = sorted(d.name for d in desired if d.name in by_name and not by_name[d.name].owned)
    if conflicts and not adopt:
        raise OwnershipConflict(
            f"{len(conflicts)} spec(s) name live campaigns not managed by cxone-reconciler: "
            + ", ".join(conflicts),
            hint="they are never changed; pass --adopt to take them over, or rename the specs",
        )
    wanted = {d.name for d in desired}
    changes: list[Change] = []
    warnings: list[str] = []
    versions: dict[str, int] = {}
    unchanged = 0
    for d in desired:
        current = by_name.get(d.name)
        if current is not None:
            versions[d.name] = current.revision
        change = plan_campaign(d, current)
        warnings.extend(f"{d.name}: {note}" for note in change.notes)
        if change.actions:
            changes.append(change)
        else:
            unchanged += 1
    owned = [c for c in live if c.owned]
    for orphan in owned:
        if orphan.name in wanted:
            continue
        versions[orphan.name] = orphan.revision
        if not prune:
            warnings.append(f"{orphan.name}: managed but no spec names it; --prune deletes it")
            continue
        actions = (Action.STOP, Action.DELETE) if orphan.active else (Action.DELETE,)
        changes.append(
            Change(
                orphan.name,
                orphan.id,
                actions,
                (),
                revision=orphan.revision,
                status=orphan.status,
                launch=ORPHAN_STOP,
            )
        )
    return Plan(
        target=target,
        changes=tuple(sorted(changes, key=lambda c: c.name)),
        unchanged=unchanged,
        warnings=tuple(warnings),
        versions=versions,
        owned=len(owned),
        specs=len(desired) if specs is None else specs,
        tenant_campaigns=len(live),
    )
