"""Poll until a campaign reaches a status: interval plus jitter, deadline.

When many campaigns wait at once, their statuses come from one shared read
of the whole campaign list instead of one read each. A shared read may take
seconds (many pages under a rate limit), so it is dated by when it *began*:
a read that began before the action a waiter judges was acknowledged says
nothing about that action, and never decides it. A failure seen through a
shared read is confirmed by one direct read before it fails a campaign.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from reconciler.engine.plan import Launch
from reconciler.errors import Interrupted, OperationFailed, TransientError
from reconciler.runtime import Runtime
from reconciler.tenant import LiveCampaign, Status, Tenant

__all__ = ["BATCH_THRESHOLD", "Waiter"]

BATCH_THRESHOLD = 4
"""From this many concurrent waiters on (and more than a list read costs), read the list."""


class Waiter:
    def __init__(
        self,
        tenant: Tenant,
        runtime: Runtime,
        *,
        stop: asyncio.Event | None = None,
        batch_threshold: int = BATCH_THRESHOLD,
        tenant_campaigns: int = 0,
    ) -> None:
        self._tenant = tenant
        self._runtime = runtime
        self._stop = stop or asyncio.Event()
        self._threshold = batch_threshold
        self._waiting: set[str] = set()
        self._snapshot: dict[str, LiveCampaign] = {}
        self._snapshot_began = float("-inf")
        self._lock = asyncio.Lock()
        self._list_cost = tenant.list_cost(tenant_campaigns)

    async def wait(
        self,
        campaign_id: str,
        targets: Collection[Status],
        launch: Launch,
        *,
        fail_on: Collection[Status] = (Status.ERROR,),
        since: float | None = None,
    ) -> LiveCampaign:
        """The campaign once its status is in ``targets`` or ``fail_on``.

        ``since`` is the monotonic time at which the action being judged was
        acknowledged (default: now); nothing observed before it counts.
        """
        runtime = self._runtime
        acknowledged = runtime.monotonic() if since is None else since
        deadline = runtime.monotonic() + launch.timeout
        self._waiting.add(campaign_id)
        try:
            while True:
                await runtime.sleep(launch.poll_interval + runtime.random() * launch.poll_jitter)
                if self._stop.is_set():
                    raise Interrupted("interrupted while waiting")
                fresh_from = max(acknowledged, runtime.monotonic() - launch.poll_interval / 2)
                try:
                    campaign, shared = await self._read(campaign_id, fresh_from=fresh_from)
                    if campaign is not None and shared and campaign.status in fail_on:
                        campaign = None  # a failure is only ever decided by a direct read
                    if campaign is None:
                        campaign = await self._tenant.campaign(campaign_id)
                except TransientError as error:
                    # One failed read decides nothing: poll again until the deadline.
                    if runtime.monotonic() >= deadline:
                        raise OperationFailed(
                            f"could not read the campaign within {launch.timeout:g} s: {error}",
                            hint="check the campaign in CXone; run plan again to see where it is",
                        ) from None
                    continue
                if campaign.status in targets or campaign.status in fail_on:
                    return campaign
                if runtime.monotonic() >= deadline:
                    raise OperationFailed(
                        f"did not reach {'/'.join(targets)} within {launch.timeout:g} s "
                        f"(still {campaign.status})",
                        hint="raise spec.launch.timeout, or check the campaign in CXone",
                    )
        finally:
            self._waiting.discard(campaign_id)

    def _batched(self) -> bool:
        return len(self._waiting) >= max(self._threshold, self._list_cost + 1)

    async def _read(self, campaign_id: str, *, fresh_from: float) -> tuple[LiveCampaign | None, bool]:
        """The campaign from a shared read that began at or after ``fresh_from``, if batching pays.

        None (nothing decided) when not batching, or when the shared read lacks the campaign.
        """
        if not self._batched():
            return None, False
        async with self._lock:
            if self._snapshot_began < fresh_from:
                began = self._runtime.monotonic()
                campaigns = await self._tenant.campaigns()
                self._snapshot = {c.id: c for c in campaigns}
                self._snapshot_began = began
                self._list_cost = self._tenant.list_cost(len(campaigns))
        return self._snapshot.get(campaign_id), True
