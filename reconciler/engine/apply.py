"""Execute a plan: campaigns concurrently, each one's actions in order.

At most ``concurrency`` API calls are in flight; a campaign waiting for its
start or stop holds no slot, so slow transitions never starve the others.

A campaign's failure is recorded and never stops the others. After a stop
request (SIGINT/SIGTERM) nothing new starts; what is in flight gets a grace
period, then is abandoned, and the outcome says which request was sent
without its result being seen. Every step is safe to repeat: a re-run plans
again from the live state and converges.

When a write's answer is lost or contradicts a retry of itself (a 412 after
a 504, a 404 for a repeated delete), the campaign is read back and the step
is judged by what the tenant holds now, never by the error alone.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from reconciler.engine.diff import flatten
from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Change, FieldChange, Plan
from reconciler.engine.waiter import Waiter
from reconciler.errors import (
    Conflict,
    Interrupted,
    NotFound,
    OperationFailed,
    PreconditionFailed,
    ReconcilerError,
    TransientError,
)
from reconciler.runtime import Runtime
from reconciler.tenant import ACTIVE, SETTLED, Action, LiveCampaign, Status, Tenant

__all__ = ["DEFAULT_CONCURRENCY", "Executor", "Progress"]

DEFAULT_CONCURRENCY = 8
GRACE_SECONDS = 5.0

Progress = Callable[[str, str], None]
T = TypeVar("T")


class Executor:
    def __init__(
        self,
        tenant: Tenant,
        plan: Plan,
        *,
        runtime: Runtime,
        concurrency: int = DEFAULT_CONCURRENCY,
        stop: asyncio.Event | None = None,
        progress: Progress | None = None,
        on_finish: Callable[[Outcome], None] | None = None,
        grace: float = GRACE_SECONDS,
        run_id: str | None = None,
    ) -> None:
        self._tenant = tenant
        self._plan = plan
        self._runtime = runtime
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._stop = stop or asyncio.Event()
        self._progress = progress or (lambda name, message: None)
        self._on_finish = on_finish or (lambda outcome: None)
        self._grace = grace
        self._run_id = run_id or uuid.uuid4().hex
        """Names this run's attempts: a create re-sent within the run is one attempt, a new run's is new."""
        self._waiter = Waiter(tenant, runtime, stop=self._stop, tenant_campaigns=plan.tenant_campaigns)

    async def run(self) -> list[Outcome]:
        outcomes = [Outcome(c.name, c.campaign_id, c.actions) for c in self._plan.changes]
        tasks = [
            asyncio.create_task(self._guarded(change, outcome))
            for change, outcome in zip(self._plan.changes, outcomes, strict=True)
        ]
        if not tasks:
            return outcomes
        stopped = asyncio.create_task(self._stop.wait())
        pending = tasks
        while pending and not self._stop.is_set():
            await asyncio.wait([*pending, stopped], return_when=asyncio.FIRST_COMPLETED)
            pending = [t for t in tasks if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=self._grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        stopped.cancel()
        return outcomes

    async def _guarded(self, change: Change, outcome: Outcome) -> None:
        try:
            await self._apply(change, outcome)
        except asyncio.CancelledError:
            outcome.interrupted = True
        finally:
            self._on_finish(outcome)

    async def _send(
        self, call: Callable[[], Awaitable[T]], *, writes: tuple[Outcome, Action] | None = None
    ) -> T:
        """One API call inside a concurrency slot; waits between calls hold no slot.

        A write (``writes``: whose outcome, which action) is marked in flight on the
        campaign's outcome from the moment it leaves, so an interrupted run reports
        every request it sent.
        """
        async with self._slots:
            if self._stop.is_set():
                raise Interrupted("interrupted before this call was sent")
            if writes is not None:
                outcome, action = writes
                outcome.in_flight = action
            return await call()

    async def _apply(self, change: Change, outcome: Outcome) -> None:
        state = _State(change.campaign_id, change.revision, change.status)
        for action in change.actions:
            if self._stop.is_set():
                outcome.interrupted = True
                return
            try:
                message = await self._step(action, change, state, outcome)
            except Interrupted:
                outcome.interrupted = True
                return
            except ReconcilerError as error:
                if not isinstance(error, TransientError):
                    outcome.in_flight = None  # answered: what was sent is known to have failed
                outcome.failed_action = action
                outcome.error = str(error)
                self._progress(change.name, f"{action} failed: {error}")
                return
            outcome.in_flight = None
            outcome.done.append(action)
            self._progress(change.name, message)

    async def _step(self, action: Action, change: Change, state: _State, outcome: Outcome) -> str:
        if action == Action.CREATE:
            created = await self._create(change, outcome)
            state.seen(created)
            outcome.campaign_id = created.id
            return f"created {created.id}"
        campaign_id = state.campaign_id
        if campaign_id is None:
            raise OperationFailed(f"{action} needs the campaign's id, and the plan has none")
        if action in (Action.ADOPT, Action.UPDATE):
            fields = change.adopt_fields() if action == Action.ADOPT else change.update_fields()
            updated = await self._update(campaign_id, fields, state, outcome, action)
            state.seen(updated)
            groups = len({f.top for f in fields})
            return "adopted" if action == Action.ADOPT else f"updated {groups} field group(s)"
        if action == Action.STOP:
            state.status = (await self._stop_campaign(campaign_id, change, outcome)).status
            return f"stopped ({state.status})"
        if action == Action.START:
            state.status = (await self._start_campaign(campaign_id, change, state.status, outcome)).status
            return f"started ({state.status})"
        return await self._delete(campaign_id, change, state, outcome)

    async def _create(self, change: Change, outcome: Outcome) -> LiveCampaign:
        attempt = f"{self._run_id}/{change.name}"
        try:
            create = partial(self._tenant.create, change.name, change.fields, attempt=attempt)
            return await self._send(create, writes=(outcome, Action.CREATE))
        except (TransientError, Conflict):
            # The create may have landed with its answer lost (or a retry found the name taken by it).
            found = await self._by_name(change.name)
            if found is None or not found.owned or not _holds(found, change.fields):
                raise
            outcome.notes.append("the create's answer was lost; confirmed by reading the campaign back")
            return found

    async def _update(
        self,
        campaign_id: str,
        fields: Sequence[FieldChange],
        state: _State,
        outcome: Outcome,
        action: Action,
    ) -> LiveCampaign:
        if state.revision is None:
            raise OperationFailed("an update needs the campaign's revision, and the plan has none")
        try:
            return await self._send(
                partial(self._tenant.update, campaign_id, fields, revision=state.revision),
                writes=(outcome, action),
            )
        except (PreconditionFailed, TransientError):
            # A 412 after a lost answer is our own write seen by its retry: judge by what is live.
            # Ours is the only change it may hold: our fields, and at most one revision on
            # (a writer of its own moves it further, and then nothing is assumed).
            current = await self._send(partial(self._tenant.campaign, campaign_id))
            ours = current.revision in (state.revision, state.revision + 1)
            if not (ours and _holds(current, fields)):
                raise
            outcome.notes.append("the update's answer was lost; confirmed by reading the campaign back")
            return current

    async def _delete(self, campaign_id: str, change: Change, state: _State, outcome: Outcome) -> str:
        if state.status not in SETTLED:
            await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=())
        if state.revision is None:
            raise OperationFailed("a delete needs the campaign's revision, and the plan has none")
        try:
            delete = partial(self._tenant.delete, campaign_id, revision=state.revision)
            await self._send(delete, writes=(outcome, Action.DELETE))
        except (NotFound, TransientError):
            try:
                await self._send(partial(self._tenant.campaign, campaign_id))
            except NotFound:
                outcome.notes.append("the delete's answer was lost; the campaign is gone")
                return "deleted"
            raise
        return "deleted"

    async def _by_name(self, name: str) -> LiveCampaign | None:
        campaigns = await self._send(self._tenant.campaigns)
        return next((c for c in campaigns if c.name == name), None)

    async def _stop_campaign(self, campaign_id: str, change: Change, outcome: Outcome) -> LiveCampaign:
        try:
            await self._send(partial(self._tenant.stop, campaign_id), writes=(outcome, Action.STOP))
        except (Conflict, TransientError):
            # Stopped by someone else, or our own stop whose answer was lost: judge by what is live.
            current = await self._send(partial(self._tenant.campaign, campaign_id))
            if current.status in ACTIVE:
                raise
            if current.status in SETTLED:
                return current
        acknowledged = self._runtime.monotonic()
        return await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=(), since=acknowledged)

    async def _start_campaign(
        self, campaign_id: str, change: Change, status: Status | None, outcome: Outcome
    ) -> LiveCampaign:
        if status == Status.STOPPING:
            settled = await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=())
            if settled.status == Status.COMPLETED:
                outcome.notes.append(
                    "COMPLETED while it was stopping (its list is dialled out): not restarted"
                )
                return settled
        try:
            await self._send(partial(self._tenant.start, campaign_id), writes=(outcome, Action.START))
        except (Conflict, TransientError):
            # Started by someone else, or our own start whose answer was lost: judge by what is live
            # (running or on its way, or already at its end: the wait below reports it either way).
            current = await self._send(partial(self._tenant.campaign, campaign_id))
            if current.status in (Status.STOPPED, Status.STOPPING):
                raise
        acknowledged = self._runtime.monotonic()
        final = await self._waiter.wait(
            campaign_id,
            (Status.RUNNING, Status.COMPLETED),
            change.launch,
            fail_on=(Status.ERROR, Status.STOPPED),
            since=acknowledged,
        )
        if final.status == Status.ERROR:
            error = final.last_error
            detail = f"{error.code}: {error.message}" if error else "no lastError given"
            raise OperationFailed(f"start ended in ERROR: {detail}")
        if final.status == Status.STOPPED:
            raise OperationFailed("the campaign was stopped while it was starting")
        return final


class _State:
    """What one campaign's run knows of it between steps."""

    def __init__(self, campaign_id: str | None, revision: int | None, status: Status | None) -> None:
        self.campaign_id = campaign_id
        self.revision = revision
        self.status = status

    def seen(self, campaign: LiveCampaign) -> None:
        self.campaign_id, self.revision, self.status = campaign.id, campaign.revision, campaign.status


def _holds(campaign: LiveCampaign, fields: Sequence[FieldChange]) -> bool:
    """Every field has its new value in the live campaign (in the diff's normal form)."""
    live = flatten(campaign.definition)
    return all(live.get(f.path) == f.after for f in fields)
