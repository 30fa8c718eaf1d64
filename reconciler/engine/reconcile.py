"""Read the tenant and make a plan; check a saved plan is still fresh."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reconciler import aio
from reconciler.cxone.client import CxoneClient
from reconciler.engine.diff import Desired, diff, is_owned
from reconciler.engine.plan import Plan
from reconciler.engine.references import check_references
from reconciler.errors import SpecError, StalePlan
from reconciler.spec.loader import LoadedCampaign


async def make_plan(
    client: CxoneClient,
    specs: Sequence[LoadedCampaign],
    *,
    target: str,
    prune: bool = False,
    adopt: bool = False,
    warnings: Sequence[str] = (),
) -> Plan:
    """The live list read once, each distinct referenced list fetched once, concurrently."""
    live, references = await aio.pair(client.list_campaigns(), check_references(client, specs))
    errors = [d for d in references if d.is_error]
    if errors:
        raise SpecError(f"{len(errors)} reference(s) in the specs do not hold in the tenant", references)
    desired = [Desired.from_spec(s.campaign) for s in specs]
    plan = diff(desired, live, target=target, prune=prune, adopt=adopt)
    found = [*warnings, *(d.format() for d in references)]
    return dataclasses.replace(plan, warnings=(*found, *plan.warnings))


async def check_fresh(client: CxoneClient, plan: Plan, *, target: str) -> None:
    """Refuse a saved plan made for another target or before the tenant moved."""
    if plan.target != target:
        raise StalePlan(
            f"the plan was made for {plan.target}, but this run targets {target}",
            hint="run plan again against this target",
        )
    live = {c.name: c for c in await client.list_campaigns()}
    moved = sorted(
        name for name, version in plan.versions.items() if name not in live or live[name].version != version
    )
    moved += sorted(c.name for c in plan.changes if "create" in c.actions and c.name in live)
    planned = {c.name for c in plan.changes}
    appeared = sorted(
        c.name for c in live.values() if is_owned(c) and c.name not in plan.versions and c.name not in planned
    )
    if moved or appeared:
        raise StalePlan(
            "the tenant changed since the plan was saved: " + ", ".join(moved + appeared),
            hint="run plan again and review the new plan; nothing was applied",
        )
