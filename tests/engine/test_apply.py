"""The waiter and the executor against the emulator, on injected time."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.cxone.client import CxoneClient
from reconciler.emulator.app import Emulator
from reconciler.engine.apply import Executor
from reconciler.engine.diff import Desired, diff
from reconciler.engine.plan import Launch
from reconciler.engine.waiter import BATCH_THRESHOLD, Waiter
from reconciler.errors import OperationFailed
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.tenant import Status
from tests.conftest import client_for
from tests.fakes import FakeTime
from tests.specs import api_definition

FAST = Launch(poll_interval=1.0, poll_jitter=0.5, timeout=30.0)


def definition(name: str) -> dict[str, object]:
    return api_definition(name, labels={"managed-by": "cxone-reconciler"})


async def started(api: CxoneClient, count: int) -> list[str]:
    ids = []
    for i in range(count):
        created = await api.create_campaign(definition(f"W-{i}"), idempotency_key=f"k{i}")
        await api.start_campaign(created.id)
        ids.append(created.id)
    return ids


async def test_one_waiter_polls_its_campaign_until_running(
    api: CxoneClient, emulator: Emulator, clock: FakeTime
) -> None:
    (campaign_id,) = await started(api, 1)
    final = await Waiter(CampaignsTenant(api), clock.runtime).wait(campaign_id, (Status.RUNNING,), FAST)
    assert final.status == "RUNNING"
    assert emulator.requests[f"GET /api/campaigns/{campaign_id}"] >= 2
    assert emulator.requests["GET /api/campaigns"] == 0
    assert all(1.0 <= s <= 1.5 for s in clock.sleeps)


async def test_many_waiters_share_reads_of_the_list(
    api: CxoneClient, emulator: Emulator, clock: FakeTime
) -> None:
    ids = await started(api, 12)
    waiter = Waiter(CampaignsTenant(api), clock.runtime)
    finals = await asyncio.gather(*(waiter.wait(i, (Status.RUNNING,), FAST) for i in ids))
    assert {f.status for f in finals} == {"RUNNING"}
    single = sum(emulator.requests[f"GET /api/campaigns/{i}"] for i in ids)
    listed = emulator.requests["GET /api/campaigns"]
    assert 0 < listed < 12
    assert single < BATCH_THRESHOLD * 2  # only the last few, once fewer than the threshold wait


async def test_a_wait_that_outlasts_its_timeout_says_where_it_stuck(
    api: CxoneClient, emulator: Emulator, clock: FakeTime
) -> None:
    (campaign_id,) = await started(api, 1)
    with pytest.raises(
        OperationFailed, match=r"did not reach RUNNING within 2 s \(still (QUEUED|INITIALIZING)\)"
    ):
        await Waiter(CampaignsTenant(api), clock.runtime).wait(
            campaign_id, (Status.RUNNING,), Launch(poll_interval=0.5, poll_jitter=0, timeout=2)
        )


class LoseFirstCreateResponse(httpx.AsyncBaseTransport):
    """The first create reaches the API, but its response is lost on the way back."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lost = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/api/campaigns" and not self.lost:
            self.lost = True
            await response.aread()
            raise httpx.ReadError("connection reset after the request was sent")
        return response


async def test_an_ambiguous_create_is_retried_with_its_key_and_makes_no_duplicate(
    emulator: Emulator, clock: FakeTime
) -> None:
    async with client_for(emulator, clock, wrap=LoseFirstCreateResponse) as api:
        desired = Desired("Once", definition("Once"), running=False, launch=FAST)
        plan = diff([desired], [], target="t")
        (outcome,) = await Executor(CampaignsTenant(api), plan, runtime=clock.runtime).run()
        assert outcome.ok, outcome.error
        assert [c.name for c in await api.list_campaigns()] == ["Once"]
    assert emulator.requests["POST /api/campaigns"] == 2


async def test_a_few_waiters_on_a_big_tenant_poll_one_by_one(
    api: CxoneClient, emulator: Emulator, clock: FakeTime
) -> None:
    ids = await started(api, 5)
    waiter = Waiter(CampaignsTenant(api), clock.runtime, tenant_campaigns=450)  # a list read: 5 pages
    await asyncio.gather(*(waiter.wait(i, (Status.RUNNING,), FAST) for i in ids))
    assert emulator.requests["GET /api/campaigns"] == 0
