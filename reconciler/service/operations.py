"""Operations: launch, suspend, resume and sync, run in the background one at a time per campaign, persisted.

A request is checked at once (a ``Problem`` if refused), then answered with
the operation while it runs. A second request of the same kind for the same
campaign while one runs gets the running one. A suspend never waits: it is
persisted first, cancels a running launch or resume of that campaign, and
stops the campaign. Every operation ends ``succeeded`` or ``failed`` with
its error, in the state and in the event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.engine.apply import Executor
from reconciler.engine.diff import ORPHAN_STOP, Desired, plan_campaign
from reconciler.engine.plan import ACTIONS, Change, Plan
from reconciler.engine.references import check_references
from reconciler.errors import ApiError, OperationFailed, OwnershipConflict, ReconcilerError
from reconciler.service.controller import Controller
from reconciler.service.cycle import reconcile
from reconciler.service.logs import log
from reconciler.service.problems import Problem
from reconciler.service.state import OperationRow
from reconciler.service.views import iso
from reconciler.spec.loader import LoadedCampaign
from reconciler.tenant import Action, LiveCampaign, Status

__all__ = ["Operations", "operation_json"]

CANCELLED = "cancelled by suspend"
INTERRUPTED = "interrupted by shutdown"


def operation_json(op: OperationRow) -> dict[str, Any]:
    return {
        "id": op.id,
        "kind": op.kind,
        "campaign": op.campaign,
        "state": op.state,
        "startedAt": iso(op.started_at),
        "finishedAt": iso(op.finished_at),
        "actions": list(op.actions),
        "actor": op.actor,
        "error": op.error,
    }


@dataclass
class _Running:
    row: OperationRow
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: str | None = None
    task: asyncio.Task[None] | None = None


Body = Callable[[_Running], Awaitable[list[str]]]


class Operations:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self._running: dict[str, _Running] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        for left in controller.state.running_operations():
            # a previous process ended with these in flight
            done = replace(
                left, state="failed", finished_at=controller.now(), error="interrupted by a restart"
            )
            controller.state.save_operation(done)

    def get(self, op_id: str) -> OperationRow | None:
        running = self._running.get(op_id)
        return running.row if running is not None else self.controller.state.operation(op_id)

    def _refuse_if_draining(self) -> None:
        if self.controller.draining:
            raise Problem(503, "SHUTTING_DOWN", "the service is shutting down; try again when it is back")

    # requests

    async def launch(self, name: str, actor: str) -> OperationRow:
        self._refuse_if_draining()
        spec = self._spec(name)
        if spec.campaign.spec.state == "stopped":
            raise Problem(409, "SPEC_SAYS_STOPPED", f"{name}: its spec says state: stopped; change it in git")
        if name in self.controller.state.suspensions():
            raise Problem(409, "SUSPENDED", f"{name} is suspended: resume it first")
        return self._submit(
            "launch", name, actor, lambda run: self._converge(spec, run, restart_completed=True)
        )

    async def suspend(self, name: str, reason: str, actor: str) -> OperationRow:
        self._refuse_if_draining()
        await self._known(name)
        controller = self.controller
        controller.state.suspend(name, reason, actor, at=controller.now())
        controller.event("suspend", f"{name} suspended: {reason}", actor=actor, campaign=name)
        controller.count_states()
        for running in list(self._running.values()):
            if running.row.campaign == name and running.row.kind in ("launch", "resume"):
                running.cancelled = CANCELLED
                running.stop.set()
        return self._submit("suspend", name, actor, lambda run: self._stop(name, run), exclusive=False)

    async def resume(self, name: str, actor: str) -> OperationRow:
        self._refuse_if_draining()
        await self._known(name)
        controller = self.controller
        if name not in controller.state.suspensions():
            raise Problem(409, "NOT_SUSPENDED", f"{name} is not suspended")
        controller.state.resume(name)
        controller.event("resume", f"{name} resumed", actor=actor, campaign=name)
        controller.count_states()
        specs = {s.name: s for s in controller.specs()}
        spec = specs.get(name)

        async def body(run: _Running) -> list[str]:
            return [] if spec is None else await self._converge(spec, run, restart_completed=False)

        return self._submit("resume", name, actor, body)

    async def sync(self, actor: str) -> OperationRow:
        self._refuse_if_draining()

        async def body(run: _Running) -> list[str]:
            result = await reconcile(self.controller, actor=actor)
            if result.outcome == "failed":
                raise OperationFailed(result.error or "the cycle failed")
            return list(result.actions)

        return self._submit("sync", None, actor, body)

    # running

    def _submit(
        self, kind: str, campaign: str | None, actor: str, body: Body, *, exclusive: bool = True
    ) -> OperationRow:
        for running in self._running.values():
            if running.row.kind == kind and running.row.campaign == campaign and running.cancelled is None:
                return running.row
        controller = self.controller
        row = OperationRow(
            id=uuid.uuid4().hex[:16],
            kind=kind,
            campaign=campaign,
            state="running",
            started_at=controller.now(),
            finished_at=None,
            actions=(),
            actor=actor,
            error=None,
        )
        controller.state.save_operation(row)
        running = _Running(row)
        self._running[row.id] = running
        log(logging.INFO, f"{kind} requested", campaign=campaign, operation=row.id, actor=actor)
        running.task = asyncio.create_task(self._run(running, body, exclusive=exclusive))
        return row

    async def _run(self, running: _Running, body: Body, *, exclusive: bool) -> None:
        controller, row = self.controller, running.row
        lock = self._locks.setdefault(row.campaign or "", asyncio.Lock())
        error: str | None = None
        actions: list[str] = []
        try:
            async with lock if exclusive else contextlib.nullcontext():
                if running.cancelled is None:
                    actions = await body(running)
        except ReconcilerError as failed:
            error = str(failed)
        except Exception as bug:  # a bug must not kill the service: the operation fails and says so
            error = f"internal error: {type(bug).__name__}"
            log(
                logging.ERROR,
                f"{row.kind} failed unexpectedly: {bug!r}",
                campaign=row.campaign,
                operation=row.id,
            )
        if running.cancelled is not None:
            error = running.cancelled
        finished = replace(
            row,
            state="failed" if error else "succeeded",
            finished_at=controller.now(),
            actions=tuple(actions),
            error=error,
        )
        running.row = finished
        controller.state.save_operation(finished)
        self._running.pop(row.id, None)
        controller.metrics.operations.labels(row.kind, finished.state).inc()
        if row.campaign is not None and row.kind in ("launch", "resume"):
            if error is None:
                controller.state.clear_error(row.campaign)
            elif running.cancelled is None:
                controller.state.set_error(row.campaign, error, at=controller.now())
            controller.count_states()
        what = f"{row.kind} {finished.state}" + (f": {error}" if error else "")
        if actions:
            what += f" ({', '.join(actions)})"
        controller.event(
            row.kind,
            f"{row.campaign + ': ' if row.campaign else ''}{what}",
            actor=row.actor,
            campaign=row.campaign,
        )

    async def join(self, op_id: str) -> OperationRow | None:
        """Wait for one operation to finish (tests, and shutdown)."""
        running = self._running.get(op_id)
        if running is not None and running.task is not None:
            await asyncio.shield(running.task)
        return self.get(op_id)

    async def drain(self, grace: float) -> None:
        """Shutdown: let what runs finish for up to ``grace`` seconds; what is left fails, interrupted."""
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace)
        for running in list(self._running.values()):
            running.cancelled = INTERRUPTED
            running.stop.set()
        if late:
            await asyncio.wait(late, timeout=2.0)
        for task in late:
            task.cancel()
        for running in list(self._running.values()):
            interrupted = replace(
                running.row, state="failed", finished_at=self.controller.now(), error=INTERRUPTED
            )
            self.controller.state.save_operation(interrupted)
            self.controller.metrics.operations.labels(interrupted.kind, "failed").inc()
        self._running.clear()

    # what operations do

    def _spec(self, name: str) -> LoadedCampaign:
        spec = next((s for s in self.controller.specs() if s.name == name), None)
        if spec is None:
            raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")
        return spec

    async def _known(self, name: str) -> None:
        """Declared by a spec, or an owned live campaign (an orphan)."""
        if any(s.name == name for s in self.controller.specs()):
            return
        try:
            snapshot = await self.controller.current()
        except ApiError as error:
            raise Problem(503, "UPSTREAM_UNAVAILABLE", f"the tenant cannot be reached: {error}") from None
        live = snapshot.live.get(name)
        if live is None or not live.owned:
            raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")

    async def _find(self, name: str) -> tuple[LiveCampaign | None, int, int]:
        """The live campaign of that name (read now), the tenant's size and how many are owned."""
        campaigns = await self.controller.tenant.campaigns()
        found = next((c for c in campaigns if c.name == name), None)
        return found, len(campaigns), sum(c.owned for c in campaigns)

    async def _converge(self, spec: LoadedCampaign, run: _Running, *, restart_completed: bool) -> list[str]:
        controller = self.controller
        tenant = controller.tenant
        live, size, owned = await self._find(spec.name)
        problems = [d for d in await check_references(tenant, [spec]) if d.is_error]
        if problems:
            raise OperationFailed("; ".join(d.message for d in problems))
        if live is not None and not live.owned:
            raise OwnershipConflict(
                f"{spec.name} exists but is not managed by cxone-reconciler: never touched"
            )
        change = plan_campaign(Desired.from_spec(spec.campaign), live)
        if restart_completed and live is not None and live.status == Status.COMPLETED:
            wanted = {*change.actions, Action.START}
            change = replace(change, actions=tuple(a for a in ACTIONS if a in wanted))
        result = await self._execute(change, size, owned, run)
        return result

    async def _execute(self, change: Change, size: int, owned: int, run: _Running) -> list[str]:
        controller = self.controller
        if not change.actions:
            await self._refresh(change.name, change.campaign_id)
            return []
        plan = Plan(controller.config.target, (change,), owned=owned, specs=1, tenant_campaigns=size)
        executor = Executor(controller.tenant, plan, runtime=controller.runtime, stop=run.stop, grace=0.0)
        outcomes = await executor.run()
        outcome = outcomes[0]
        await self._refresh(change.name, outcome.campaign_id)
        if run.cancelled is not None:
            raise OperationFailed(run.cancelled)
        if not outcome.ok:
            raise OperationFailed(outcome.error or f"interrupted during {outcome.in_flight or 'the apply'}")
        return [str(a) for a in outcome.done]

    async def _stop(self, name: str, run: _Running) -> list[str]:
        live, size, owned = await self._find(name)
        if live is None or not live.owned or not live.active:
            return []
        specs = {s.name: s for s in self.controller.specs()}
        launch = Desired.from_spec(specs[name].campaign).launch if name in specs else ORPHAN_STOP
        change = Change(
            name, live.id, (Action.STOP,), revision=live.revision, status=live.status, launch=launch
        )
        return await self._execute(change, size, owned, run)

    async def _refresh(self, name: str, campaign_id: str | None) -> None:
        snapshot = self.controller.snapshot
        if snapshot is None or campaign_id is None:
            return
        with contextlib.suppress(ApiError):
            snapshot.put(await self.controller.tenant.campaign(campaign_id))
            self.controller.count_states()
