"""One pacing round for one campaign: read, decide exactly as `reconciler pace` does, patch, record.

Each round stores a sample (the realtime figures and the pacing in force)
and, unless it is a dry run, the decision. A campaign whose figures cannot
be read is left alone, as `pace` leaves it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from reconciler import aio
from reconciler.errors import ApiError, NotFound, PreconditionFailed
from reconciler.pacing import PaceResult
from reconciler.service.controller import Controller
from reconciler.service.figures import decide_pacing
from reconciler.service.problems import Problem
from reconciler.service.views import iso
from reconciler.spec.models import AdaptivePacing
from reconciler.tenant import FieldChange, Status

__all__ = ["Paced", "pace", "pace_now", "paced"]


@dataclass(frozen=True)
class Paced:
    name: str
    campaign_id: str
    rules: AdaptivePacing


def paced(controller: Controller) -> list[Paced]:
    """Owned RUNNING campaigns whose spec has adaptivePacing and which are not suspended."""
    snapshot = controller.snapshot
    if snapshot is None:
        return []
    suspended = controller.state.suspensions()
    found = []
    for name, spec in snapshot.specs.items():
        rules = spec.spec.adaptivePacing
        live = snapshot.live.get(name)
        if rules is None or live is None or not live.owned or name in suspended:
            continue
        if live.status == Status.RUNNING:
            found.append(Paced(name, live.id, rules))
    return found


def check(controller: Controller, name: str) -> Paced:
    """The campaign may be paced now, or the Problem why not."""
    snapshot = controller.snapshot
    assert snapshot is not None
    spec = snapshot.specs.get(name)
    if spec is None:
        raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")
    rules = spec.spec.adaptivePacing
    if rules is None:
        raise Problem(409, "NO_ADAPTIVE_PACING", f"{name}: its spec has no adaptivePacing")
    if name in controller.state.suspensions():
        raise Problem(409, "SUSPENDED", f"{name} is suspended: resume it first")
    live = snapshot.live.get(name)
    if live is None or not live.owned or live.status != Status.RUNNING:
        status = "missing" if live is None else "not managed" if not live.owned else str(live.status)
        raise Problem(409, "NOT_RUNNING", f"{name} is not RUNNING ({status})")
    return Paced(name, live.id, rules)


async def pace(
    controller: Controller, target: Paced, *, dry_run: bool, actor: str = "reconciler", fresh: bool = True
) -> dict[str, Any]:
    """One round; the decision as `pace --format json` prints it, with its time.

    ``fresh`` reads the campaign first (pace now); the loop (``fresh=False``) takes it from the
    last read, kept current by its own changes, so a round costs one realtime read. A campaign
    changed by someone else meanwhile is refused by its revision (412) and read again.
    """
    tenant, now = controller.tenant, controller.now()
    known = controller.snapshot.live.get(target.name) if controller.snapshot is not None else None
    try:
        if fresh or known is None or known.id != target.campaign_id:
            campaign, figures = await aio.pair(
                tenant.campaign(target.campaign_id), tenant.realtime(target.campaign_id)
            )
        else:
            campaign, figures = known, await tenant.realtime(target.campaign_id)
    except NotFound:
        raise Problem(409, "NOT_RUNNING", f"{target.name} no longer exists in the tenant") from None
    except ApiError as error:
        controller.tenant_answered(False)
        raise Problem(
            503, "UPSTREAM_UNAVAILABLE", f"{target.name}: the tenant did not answer: {error}"
        ) from None
    controller.tenant_answered(True)
    if controller.snapshot is not None:
        controller.snapshot.put(campaign)
    current = dict(campaign.definition["pacing"])
    if campaign.status != Status.RUNNING:
        raise Problem(409, "NOT_RUNNING", f"{target.name} is not RUNNING ({campaign.status})")
    seen = {
        "answerRate": figures.answer_rate,
        "abandonRate": figures.abandon_rate,
        "activeCalls": figures.active_calls,
        "totalCalls": figures.total_calls,
        "at": iso(now),
    }
    controller.saw_realtime(target.name, seen)
    controller.state.add_sample(
        target.name,
        at=now,
        answer_rate=figures.answer_rate,
        abandon_rate=figures.abandon_rate,
        active_calls=figures.active_calls,
        pacing=current,
    )
    metrics = controller.metrics
    metrics.answer_rate.labels(target.name).set(figures.answer_rate)
    metrics.abandon_rate.labels(target.name).set(figures.abandon_rate)
    decision = decide_pacing(target.rules, figures, current, now=now, last_change_at=campaign.updated_at)
    changed = decision.changes(current)
    reason, applied = decision.reason, False
    if changed and dry_run:
        reason += " (dry run)"
    elif changed:
        fields = [FieldChange(f"pacing.{k}", current[k], v) for k, v in changed.items()]
        try:
            updated = await tenant.update(campaign.id, fields, revision=campaign.revision)
        except PreconditionFailed:
            reason += "; not applied: the campaign changed meanwhile, next round decides again"
            with contextlib.suppress(ApiError):
                changed_meanwhile = await tenant.campaign(campaign.id)
                if controller.snapshot is not None:
                    controller.snapshot.put(changed_meanwhile)
        except ApiError as error:
            reason += f"; not applied: {error}"
        else:
            applied = True
            if controller.snapshot is not None:
                controller.snapshot.put(updated)
    entry = PaceResult(target.name, campaign.id, current, decision.pacing, reason, applied).to_json()
    entry["at"] = iso(now)
    metrics.pacing_decisions.labels("true" if applied else "false").inc()
    metrics.calls_per_minute.labels(target.name).set(
        decision.pacing["callsPerMinute"] if applied else current["callsPerMinute"]
    )
    if not dry_run:
        controller.state.add_decision(target.name, entry, at=now)
    if applied:
        before, after = current["callsPerMinute"], decision.pacing["callsPerMinute"]
        controller.event(
            "pace",
            f"{target.name}: {before} -> {after} calls/min: {reason}",
            actor=actor,
            campaign=target.name,
        )
    return entry


async def pace_now(controller: Controller, name: str, *, dry_run: bool, actor: str) -> dict[str, Any]:
    """An operator's "pace now" (the control API's and the dashboard's): one round, or the Problem why not."""
    if controller.draining:
        raise Problem(503, "SHUTTING_DOWN", "the service is shutting down")
    await controller.current()
    return await pace(controller, check(controller, name), dry_run=dry_run, actor=actor)
