"""Execute a plan: campaigns concurrently, each one's actions in order.

At most ``concurrency`` API calls are in flight; a campaign waiting for its
start or stop holds no slot, so slow transitions never starve the others.

A campaign's failure is recorded and never stops the others. After a stop
request (SIGINT/SIGTERM) nothing new starts; what is in flight gets a grace
period, then is abandoned. Every step is safe to repeat: a re-run plans
again from the live state and converges.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from reconciler.cxone.client import CxoneClient
from reconciler.cxone.models import ACTIVE, ApiCampaign
from reconciler.cxone.resilience import Runtime
from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Change, Plan
from reconciler.engine.waiter import Waiter
from reconciler.errors import Conflict, Interrupted, OperationFailed, ReconcilerError

DEFAULT_CONCURRENCY = 8
GRACE_SECONDS = 5.0
SETTLED = ("STOPPED", "ERROR", "COMPLETED")

Progress = Callable[[str, str], None]
T = TypeVar("T")


class Executor:
    def __init__(
        self,
        client: CxoneClient,
        plan: Plan,
        *,
        runtime: Runtime,
        concurrency: int = DEFAULT_CONCURRENCY,
        stop: asyncio.Event | None = None,
        progress: Progress | None = None,
        on_finish: Callable[[Outcome], None] | None = None,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self._client = client
        self._plan = plan
        self._runtime = runtime
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._stop = stop or asyncio.Event()
        self._progress = progress or (lambda name, message: None)
        self._on_finish = on_finish or (lambda outcome: None)
        self._grace = grace
        self._waiter = Waiter(client, runtime, stop=self._stop, tenant_campaigns=plan.tenant_campaigns)

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

    async def _send(self, call: Callable[[], Awaitable[T]]) -> T:
        """One API call inside a concurrency slot; waits between calls hold no slot."""
        async with self._slots:
            if self._stop.is_set():
                raise Interrupted("interrupted before this call was sent")
            return await call()

    async def _apply(self, change: Change, outcome: Outcome) -> None:
        client = self._client
        campaign_id, version, status = change.campaign_id, change.version, change.status
        for action in change.actions:
            if self._stop.is_set():
                outcome.interrupted = True
                return
            try:
                if action == "create":
                    key = self._plan.idempotency_key(change)
                    created = await self._send(
                        partial(client.create_campaign, change.create_body(), idempotency_key=key)
                    )
                    campaign_id, version, status = created.id, created.version, created.status
                    outcome.campaign_id = campaign_id
                    message = f"created {campaign_id}"
                elif action in ("adopt", "update"):
                    assert campaign_id is not None and version is not None
                    patch = change.adopt_patch() if action == "adopt" else change.update_patch()
                    updated = await self._send(
                        partial(client.update_campaign, campaign_id, patch, version=version)
                    )
                    version, status = updated.version, updated.status
                    message = "adopted" if action == "adopt" else f"updated {len(patch)} field group(s)"
                elif action == "stop":
                    assert campaign_id is not None
                    status = (await self._stop_campaign(campaign_id, change)).status
                    message = f"stopped ({status})"
                elif action == "start":
                    assert campaign_id is not None
                    status = (await self._start_campaign(campaign_id, change, status)).status
                    message = f"started ({status})"
                else:
                    assert campaign_id is not None and version is not None
                    if status not in SETTLED:
                        await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=())
                    await self._send(partial(client.delete_campaign, campaign_id, version=version))
                    message = "deleted"
            except Interrupted:
                outcome.interrupted = True
                return
            except ReconcilerError as error:
                outcome.failed_action = action
                outcome.error = str(error)
                self._progress(change.name, f"{action} failed: {error}")
                return
            outcome.done.append(action)
            self._progress(change.name, message)

    async def _stop_campaign(self, campaign_id: str, change: Change) -> ApiCampaign:
        try:
            await self._send(partial(self._client.stop_campaign, campaign_id))
        except Conflict:
            current = await self._send(partial(self._client.get_campaign, campaign_id))
            if current.status in ACTIVE:
                raise
            if current.status in SETTLED:
                return current  # stopped by someone else meanwhile: converged
        return await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=())

    async def _start_campaign(self, campaign_id: str, change: Change, status: str | None) -> ApiCampaign:
        if status == "STOPPING":
            await self._waiter.wait(campaign_id, SETTLED, change.launch, fail_on=())
        try:
            await self._send(partial(self._client.start_campaign, campaign_id))
        except Conflict:
            current = await self._send(partial(self._client.get_campaign, campaign_id))
            if current.status not in ACTIVE:
                raise
            # started by someone else meanwhile: wait for it like our own
        final = await self._waiter.wait(
            campaign_id, ("RUNNING", "COMPLETED"), change.launch, fail_on=("ERROR", "STOPPED")
        )
        if final.status == "ERROR":
            error = final.lastError
            detail = f"{error.errorCode}: {error.errorMessage}" if error else "no lastError given"
            raise OperationFailed(f"start ended in ERROR: {detail}")
        if final.status == "STOPPED":
            raise OperationFailed("the campaign was stopped while it was starting")
        return final
