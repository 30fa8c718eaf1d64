"""An in-memory tenant on simulated time: slow paginated list reads, starts that take a while."""

from __future__ import annotations

from collections import Counter

from reconciler.tenant import LiveCampaign, Status, Traffic
from tests.fakes import SimulatedTime

OWNED = {"managed-by": "cxone-reconciler"}


class SlowListTenant:
    """``count`` STOPPED campaigns; a list read costs ``page_seconds`` per page of ``page_size``."""

    def __init__(
        self,
        clock: SimulatedTime,
        count: int,
        *,
        page_size: int = 100,
        page_seconds: float = 1.0,
        call_seconds: float = 0.1,
        queued: float = 0.3,
        initializing: float = 0.7,
    ) -> None:
        self.clock = clock
        self.ids = [f"CMP-{i:06d}" for i in range(count)]
        self.page_size = page_size
        self.page_seconds = page_seconds
        self.call_seconds = call_seconds
        self.queued = queued
        self.initializing = initializing
        self.started_at: dict[str, float] = {}
        self.calls: Counter[str] = Counter()

    @property
    def traffic(self) -> Traffic:
        return Traffic(sent=dict(self.calls))

    def list_cost(self, campaigns: int) -> int:
        return max(1, -(-campaigns // self.page_size))

    def status(self, campaign_id: str) -> Status:
        since = self.started_at.get(campaign_id)
        if since is None:
            return Status.STOPPED
        age = self.clock.now - since
        if age < self.queued:
            return Status.QUEUED
        if age < self.queued + self.initializing:
            return Status.INITIALIZING
        return Status.RUNNING

    def _live(self, campaign_id: str) -> LiveCampaign:
        return LiveCampaign(campaign_id, campaign_id, self.status(campaign_id), 1, {"labels": OWNED})

    async def campaigns(self) -> list[LiveCampaign]:
        found: list[LiveCampaign] = []
        for first in range(0, len(self.ids), self.page_size):
            self.calls["list page"] += 1
            found += [self._live(i) for i in self.ids[first : first + self.page_size]]  # as read now
            await self.clock.sleep(self.page_seconds)
        return found

    async def campaign(self, campaign_id: str) -> LiveCampaign:
        self.calls["get"] += 1
        await self.clock.sleep(self.call_seconds)
        return self._live(campaign_id)

    async def start(self, campaign_id: str) -> None:
        self.calls["start"] += 1
        await self.clock.sleep(self.call_seconds / 2)
        self.started_at[campaign_id] = self.clock.now  # committed; the answer takes as long again
        await self.clock.sleep(self.call_seconds / 2)
