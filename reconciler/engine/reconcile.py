"""Read the tenant and make a plan; re-check every guard of a saved plan against the tenant now."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from reconciler import aio
from reconciler.engine.diff import Desired, diff, flatten
from reconciler.engine.plan import Change, Plan, check_safety
from reconciler.engine.references import (
    check_references,
    contact_list_problem,
    dnc_list_problem,
    fetch_lists,
)
from reconciler.errors import OwnershipConflict, SpecError, StalePlan
from reconciler.spec.checks import check_campaign
from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.loader import LoadedCampaign
from reconciler.spec.models import MANAGED_BY_KEY, PROVIDER_CAMPAIGNS, Campaign
from reconciler.spec.source import SourceMap
from reconciler.spec.validation import diagnostics_from
from reconciler.tenant import Action, LiveCampaign, Tenant, nest

__all__ = ["check_saved", "make_plan", "provider_diagnostics", "provider_of"]


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
    provided = await provider_diagnostics(tenant, specs)
    errors = [d for d in provided if d.is_error]
    if errors:
        raise SpecError(
            f"{len(errors)} thing(s) in the specs that {provider_of(tenant)} cannot do; change them as named",
            sorted(provided),
        )
    live, references = await aio.pair(tenant.campaigns(), check_references(tenant, specs))
    errors = [d for d in references if d.is_error]
    if errors:
        raise SpecError(f"{len(errors)} reference(s) in the specs do not hold in the tenant", references)
    desired = [Desired.from_spec(s.campaign) for s in specs]
    plan = diff(desired, live, target=target, prune=prune, adopt=adopt)
    notes: tuple[str, ...] = tuple(getattr(tenant, "plan_notes", ()))
    found = [*warnings, *notes, *(d.format() for d in sorted(provided)), *(d.format() for d in references)]
    return dataclasses.replace(plan, warnings=(*found, *plan.warnings))


def provider_of(tenant: Tenant) -> str:
    """The tenant's API (``provider`` attribute of a provider that is not the default)."""
    return str(getattr(tenant, "provider", PROVIDER_CAMPAIGNS))


async def provider_diagnostics(tenant: Tenant, specs: Sequence[LoadedCampaign]) -> list[Diagnostic]:
    """What the provider says of the specs (optional ``check_specs``: fields its API cannot honour)."""
    check = getattr(tenant, "check_specs", None)
    if check is None or not specs:
        return []
    found: list[Diagnostic] = await check(specs)
    return found


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
    provider = provider_of(tenant)
    problems = [d for c in plan.changes for d in _spec_problems(c, live.get(c.name), provider)]
    problems += await _reference_problems(tenant, plan, live)
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


def _spec_problems(change: Change, current: LiveCampaign | None, provider: str) -> list[Diagnostic]:
    flat = _written(change, current)
    if flat is None:
        return []
    spec = nest(flat.items())
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
    findings = list(check_campaign(campaign, provider))
    return [
        Diagnostic(where, 1, 1, severity, field, message)
        for field, severity, message in findings
        if severity == "error"
    ]


async def _reference_problems(
    tenant: Tenant, plan: Plan, live: Mapping[str, LiveCampaign]
) -> list[Diagnostic]:
    """The lists every campaign the plan touches will hold afterwards, under plan's own rules."""
    held: list[tuple[Change, str | None, list[str], bool]] = []
    for change in plan.changes:
        if not ({Action.CREATE, Action.UPDATE, Action.ADOPT, Action.START} & set(change.actions)):
            continue  # a stop or a delete dials nothing
        current = live.get(change.name)
        flat = _written(change, current) or (flatten(current.definition) if current is not None else {})
        starts = Action.START in change.actions
        dials = starts or (current is not None and current.active and Action.STOP not in change.actions)
        held.append((change, flat.get("contactListId"), list(flat.get("dnc.listIds") or []), dials))
    lists = await fetch_lists(
        tenant, (c for _, c, _, _ in held if c), (d for _, _, ids, _ in held for d in ids)
    )
    problems: list[Diagnostic] = []
    for change, contact, dnc_ids, dials in held:
        where = f"saved plan: {change.name}"
        if contact:
            problem = contact_list_problem(contact, lists.contact[contact], dials=dials)
            if problem is not None and problem[0] == "error":
                problems.append(Diagnostic(where, 1, 1, "error", "contactListId", problem[1]))
        for dnc_id in dnc_ids:
            missing = dnc_list_problem(dnc_id, lists.dnc[dnc_id])
            if missing is not None:
                problems.append(Diagnostic(where, 1, 1, "error", "dnc.listIds", missing))
    return problems
