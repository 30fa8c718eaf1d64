"""Read the tenant and make a plan; re-check every guard of a saved plan against the tenant now."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from reconciler import aio
from reconciler.engine.diff import Desired, diff, flatten
from reconciler.engine.plan import Change, Plan, check_safety
from reconciler.engine.references import check_references
from reconciler.errors import OwnershipConflict, SpecError, StalePlan
from reconciler.spec.checks import check_campaign
from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.loader import LoadedCampaign
from reconciler.spec.models import MANAGED_BY_KEY, Campaign
from reconciler.spec.source import SourceMap
from reconciler.spec.validation import diagnostics_from
from reconciler.tenant import Action, LiveCampaign, Tenant

__all__ = ["check_saved", "make_plan"]


async def make_plan(
    tenant: Tenant,
    specs: Sequence[LoadedCampaign],
    *,
    target: str,
    prune: bool = False,
    adopt: bool = False,
    warnings: Sequence[str] = (),
) -> Plan:
    """The live list read once, each distinct referenced list fetched once, concurrently."""
    live, references = await aio.pair(tenant.campaigns(), check_references(tenant, specs))
    errors = [d for d in references if d.is_error]
    if errors:
        raise SpecError(f"{len(errors)} reference(s) in the specs do not hold in the tenant", references)
    desired = [Desired.from_spec(s.campaign) for s in specs]
    plan = diff(desired, live, target=target, prune=prune, adopt=adopt)
    found = [*warnings, *(d.format() for d in references)]
    return dataclasses.replace(plan, warnings=(*found, *plan.warnings))


async def check_saved(tenant: Tenant, plan: Plan, *, target: str, force: bool) -> Plan:
    """A saved plan, re-checked against the tenant as it is now, as if it had just been made.

    Refuses (nothing applied) if it was made for another target, if the tenant
    moved since, if it would touch a campaign that is not owned, if it stops or
    deletes too much of what is owned now, if a list it refers to no longer
    holds, or if what it would write is not a valid, compliant spec. Returns the
    plan with the tenant's current size, for the executor.
    """
    if plan.target != target:
        raise StalePlan(
            f"the plan was made for {plan.target}, but this run targets {target}",
            hint="run plan again against this target",
        )
    campaigns = await tenant.campaigns()
    live = {c.name: c for c in campaigns}
    _check_unmoved(plan, live)
    _check_owned(plan, live)
    now = dataclasses.replace(plan, owned=sum(c.owned for c in campaigns), tenant_campaigns=len(campaigns))
    check_safety(now, force=force)
    problems = [d for c in plan.changes for d in _spec_problems(c, live.get(c.name))]
    problems += await _reference_problems(tenant, plan)
    if problems:
        raise SpecError(
            f"the saved plan would write {len(problems)} thing(s) that do not hold; nothing was applied",
            problems,
        )
    return now


def _check_unmoved(plan: Plan, live: Mapping[str, LiveCampaign]) -> None:
    moved = sorted(
        name for name, version in plan.versions.items() if name not in live or live[name].revision != version
    )
    moved += sorted(c.name for c in plan.changes if Action.CREATE in c.actions and c.name in live)
    planned = {c.name for c in plan.changes}
    appeared = sorted(
        c.name for c in live.values() if c.owned and c.name not in plan.versions and c.name not in planned
    )
    if moved or appeared:
        raise StalePlan(
            "the tenant changed since the plan was saved: " + ", ".join(moved + appeared),
            hint="run plan again and review the new plan; nothing was applied",
        )


def _check_owned(plan: Plan, live: Mapping[str, LiveCampaign]) -> None:
    foreign = sorted(
        c.name
        for c in plan.changes
        if Action.CREATE not in c.actions
        and (
            c.name not in live
            or live[c.name].id != c.campaign_id
            or not (live[c.name].owned or Action.ADOPT in c.actions)
        )
    )
    if foreign:
        raise OwnershipConflict(
            "the saved plan would change campaigns not managed by cxone-reconciler: " + ", ".join(foreign),
            hint="they are never changed; run plan again (with --adopt to take them over)",
        )


def _written(change: Change, current: LiveCampaign | None) -> dict[str, Any] | None:
    """The whole definition the change leaves behind, as flat paths; None if it writes nothing."""
    if not ({Action.CREATE, Action.UPDATE, Action.ADOPT} & set(change.actions)):
        return None
    flat = flatten(current.definition) if current is not None and Action.CREATE not in change.actions else {}
    for f in change.fields:
        if f.after is None:
            flat = {k: v for k, v in flat.items() if k != f.path and not k.startswith(f.path + ".")}
        else:
            flat[f.path] = f.after
    return flat


def _spec_problems(change: Change, current: LiveCampaign | None) -> list[Diagnostic]:
    flat = _written(change, current)
    if flat is None:
        return []
    spec = _unflatten(flat)
    labels = {k: v for k, v in spec.pop("labels", {}).items() if k != MANAGED_BY_KEY}
    spec.pop("name", None)
    if dict(change.opt_outs):
        spec["complianceOptOuts"] = {rule: {"reason": why} for rule, why in change.opt_outs}
    document = {
        "apiVersion": "cxone.reconciler/v1",
        "kind": "Campaign",
        "metadata": {"name": change.name, "labels": labels},
        "spec": {k: v for k, v in spec.items() if v is not None},
    }
    where = f"saved plan: {change.name}"
    try:
        campaign = Campaign.model_validate(document)
    except ValidationError as invalid:
        return diagnostics_from(where, invalid, SourceMap.of({}, {}))
    findings = list(check_campaign(campaign))
    return [
        Diagnostic(where, 1, 1, severity, field, message)
        for field, severity, message in findings
        if severity == "error"
    ]


async def _reference_problems(tenant: Tenant, plan: Plan) -> list[Diagnostic]:
    lists = sorted({f.after for c in plan.changes for f in c.fields if f.path == "contactListId" and f.after})
    dncs = sorted(
        {i for c in plan.changes for f in c.fields if f.path == "dnc.listIds" and f.after for i in f.after}
    )
    found_lists, found_dncs = await aio.pair(
        aio.gather(*(tenant.contact_list(i) for i in lists)),
        aio.gather(*(tenant.dnc_list(i) for i in dncs)),
    )
    problems = []
    for list_id, found in zip(lists, found_lists, strict=True):
        if found is None:
            problems.append(f"contact list {list_id} does not exist in the tenant")
        elif not found.dnc_compliant:
            problems.append(f"contact list {list_id} ({found.name}) is not DNC compliant: scrub it first")
    problems += [
        f"DNC list {i} does not exist in the tenant"
        for i, d in zip(dncs, found_dncs, strict=True)
        if d is None
    ]
    return [Diagnostic("saved plan", 1, 1, "error", "", p) for p in problems]


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".", 1) if path.startswith("labels.") else path.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested
