"""One reconcile cycle: re-read the specs and the tenant, record drift, and with ``--drift enforce`` apply.

Applying is the engine's: ``diff`` makes the plan, ``check_safety`` guards
it, the ``Executor`` runs it. The service only chooses what goes in: never a
suspended campaign (found active, it is stopped again under enforce), never
one it does not own, never a prune or an adopt.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Container
from dataclasses import dataclass

from reconciler import aio
from reconciler.engine.apply import Executor
from reconciler.engine.diff import ORPHAN_STOP, Desired, diff
from reconciler.engine.plan import Change, check_safety
from reconciler.engine.references import check_references
from reconciler.errors import ApiError, ReconcilerError, SpecError
from reconciler.service.controller import Controller
from reconciler.service.logs import log
from reconciler.service.views import Drift, Snapshot
from reconciler.tenant import Action

__all__ = ["CycleResult", "reconcile"]


@dataclass(frozen=True)
class CycleResult:
    outcome: str
    """ok, drift, applied or failed"""
    error: str | None = None
    actions: tuple[str, ...] = ()


async def reconcile(controller: Controller, *, actor: str = "reconciler") -> CycleResult:
    """One cycle, recorded in the state; never raises for the tenant or the specs being wrong."""
    async with controller.cycle_lock:
        state, runtime = controller.state, controller.runtime
        cycle_id = state.start_cycle(at=controller.now())
        started = runtime.monotonic()
        try:
            result = await _cycle(controller, actor)
        except ApiError as error:
            controller.tenant_answered(False)
            result = CycleResult("failed", f"the tenant cannot be reached: {error}")
        except SpecError as error:
            details = "; ".join(d.format() for d in error.diagnostics[:3])
            result = CycleResult("failed", f"{error.message}: {details}" if details else error.message)
        except ReconcilerError as error:
            result = CycleResult("failed", str(error))
        if result.outcome == "failed":
            controller.event("cycle", f"reconcile cycle failed: {result.error}", actor=actor)
        else:
            controller.cycled = True
            log(logging.INFO, f"reconcile cycle: {result.outcome}", actions=len(result.actions))
        state.finish_cycle(cycle_id, result.outcome, result.error, at=controller.now())
        controller.metrics.cycles.labels(result.outcome).inc()
        controller.metrics.cycle_duration.observe(max(0.0, runtime.monotonic() - started))
        controller.count_states()
        return result


async def _cycle(controller: Controller, actor: str) -> CycleResult:
    tenant = controller.tenant
    specs = controller.specs()
    previous = dict(controller.snapshot.drift) if controller.snapshot is not None else {}
    live, references = await aio.pair(tenant.campaigns(), check_references(tenant, specs))
    controller.tenant_answered(True)
    snapshot = Snapshot.of([s.campaign for s in specs], live, at=controller.now())
    controller.snapshot = snapshot
    errors = [d for d in references if d.is_error]
    if errors:
        raise SpecError(f"{len(errors)} reference(s) in the specs do not hold in the tenant", errors)
    suspended = controller.state.suspensions()
    enforce = controller.config.drift == "enforce"
    _record_drift(controller, snapshot, previous, suspended)
    woken = [c for name, c in snapshot.live.items() if name in suspended and c.owned and c.active]
    for campaign in woken:
        what = "stopping it again" if enforce else "left running (--drift warn)"
        controller.event(
            "drift", f"{campaign.name} is suspended but {campaign.status}: {what}", campaign=campaign.name
        )
    by_name = snapshot.live
    applicable = [
        s for s in specs if s.name not in suspended and (s.name not in by_name or by_name[s.name].owned)
    ]
    plan = diff(
        [Desired.from_spec(s.campaign) for s in applicable],
        live,
        target=controller.config.target,
        specs=len(specs),
    )
    drifted = any(
        d.state != "in-sync" and n not in suspended for n, d in snapshot.drift.items() if d.state != "unowned"
    )
    if not enforce:
        return CycleResult("drift" if drifted or woken else "ok")
    launches = {s.name: Desired.from_spec(s.campaign).launch for s in specs}
    stops = tuple(
        Change(
            c.name,
            c.id,
            (Action.STOP,),
            revision=c.revision,
            status=c.status,
            launch=launches.get(c.name, ORPHAN_STOP),
        )
        for c in woken
    )
    plan = dataclasses.replace(plan, changes=tuple(sorted((*plan.changes, *stops), key=lambda c: c.name)))
    check_safety(plan, force=False)
    if not plan.has_changes:
        return CycleResult("ok")
    executor = Executor(tenant, plan, runtime=controller.runtime, stop=controller.stop)
    outcomes = await executor.run()
    failed = 0
    done: list[str] = []
    for outcome in outcomes:
        if outcome.ok:
            controller.state.clear_error(outcome.name)
            steps = ", ".join(str(a) for a in outcome.done)
            controller.event("apply", f"{outcome.name}: {steps}", actor=actor, campaign=outcome.name)
            done += [f"{outcome.name}: {a}" for a in outcome.done]
        else:
            failed += 1
            why = outcome.error or "interrupted"
            controller.state.set_error(outcome.name, why, at=controller.now())
            controller.event(
                "error", f"{outcome.name}: apply failed: {why}", actor=actor, campaign=outcome.name
            )
    await controller.read(specs)
    if failed:
        return CycleResult("failed", f"{failed} of {len(outcomes)} campaign(s) failed to apply", tuple(done))
    return CycleResult("applied", None, tuple(done))


def _record_drift(
    controller: Controller, snapshot: Snapshot, previous: dict[str, Drift], suspended: Container[str]
) -> None:
    """An event when a campaign's drift changes (not every cycle it stays the same)."""
    for name, drift in snapshot.drift.items():
        if name in suspended:
            continue
        before = previous.get(name)
        if before == drift or (drift.state == "in-sync" and before is None):
            continue
        if drift.state == "in-sync":
            message = f"{name} is in sync again"
        elif drift.state == "drifted":
            message = f"{name} drifted: {', '.join(drift.fields)}"
        else:
            message = f"{name} is {drift.state}"
        controller.event("drift", message, campaign=name)
