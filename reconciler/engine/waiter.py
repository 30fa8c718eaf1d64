"""Poll until a campaign reaches a status: interval plus jitter, deadline.

When many campaigns wait at once, their statuses come from one shared read
of the paginated list instead of one GET each, and a fresh enough snapshot
serves every waiter that asks while it is fresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from reconciler.cxone.client import PAGE_SIZE, CxoneClient
from reconciler.cxone.models import ApiCampaign
from reconciler.cxone.resilience import Runtime
from reconciler.engine.plan import Launch
from reconciler.errors import Interrupted, NotFound, OperationFailed

BATCH_THRESHOLD = 4
"""From this many concurrent waiters on (and more than the list has pages), poll the list."""


class Waiter:
    def __init__(
        self,
        client: CxoneClient,
        runtime: Runtime,
        *,
        stop: asyncio.Event | None = None,
        batch_threshold: int = BATCH_THRESHOLD,
        tenant_campaigns: int = 0,
    ) -> None:
        self._client = client
        self._runtime = runtime
        self._stop = stop or asyncio.Event()
        self._threshold = batch_threshold
        self._waiting: set[str] = set()
        self._snapshot: dict[str, ApiCampaign] = {}
        self._snapshot_at = float("-inf")
        self._lock = asyncio.Lock()
        self._pages = _pages(tenant_campaigns)

    async def wait(
        self,
        campaign_id: str,
        targets: Collection[str],
        launch: Launch,
        *,
        fail_on: Collection[str] = ("ERROR",),
    ) -> ApiCampaign:
        """The campaign once its status is in ``targets`` or ``fail_on``."""
        runtime = self._runtime
        deadline = runtime.monotonic() + launch.timeout
        self._waiting.add(campaign_id)
        try:
            while True:
                await runtime.sleep(launch.poll_interval + runtime.random() * launch.poll_jitter)
                if self._stop.is_set():
                    raise Interrupted("interrupted while waiting")
                campaign = await self._read(campaign_id, max_age=launch.poll_interval / 2)
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

    async def _read(self, campaign_id: str, *, max_age: float) -> ApiCampaign:
        if len(self._waiting) < max(self._threshold, self._pages + 1):
            return await self._client.get_campaign(campaign_id)
        asked_at = self._runtime.monotonic()
        async with self._lock:
            if self._snapshot_at < asked_at - max_age:
                campaigns = await self._client.list_campaigns()
                self._snapshot = {c.id: c for c in campaigns}
                self._snapshot_at = self._runtime.monotonic()
                self._pages = _pages(len(campaigns))
        found = self._snapshot.get(campaign_id)
        if found is None:
            raise NotFound(f"campaign {campaign_id} disappeared while waiting for it")
        return found


def _pages(campaigns: int) -> int:
    """Requests one read of the whole list costs."""
    return max(1, -(-campaigns // PAGE_SIZE))
