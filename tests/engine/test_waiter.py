"""The waiter judges each start by what was read after it was acknowledged."""

from __future__ import annotations

import asyncio

from reconciler.engine.apply import Executor
from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Change, Launch, Plan
from reconciler.tenant import Action, LiveCampaign, Status
from tests.fake_tenant import SlowListTenant
from tests.fakes import SimulatedTime

FAST = Launch(poll_interval=1.0, poll_jitter=0.5, timeout=60.0)


def starts(tenant: SlowListTenant) -> Plan:
    changes = tuple(
        Change(i, i, (Action.START,), revision=1, status=Status.STOPPED, launch=FAST) for i in tenant.ids
    )
    return Plan("fake", changes, owned=len(changes), tenant_campaigns=len(changes))


async def test_a_list_read_that_began_before_a_start_was_acknowledged_never_fails_it() -> None:
    # 300 campaigns: a list read takes 3 s (3 pages), while starts are acknowledged one
    # every ~12 ms; pages read before a start's acknowledgement still show it STOPPED.
    clock = SimulatedTime()
    tenant = SlowListTenant(clock, 300)
    outcomes = await clock.run(Executor(tenant, starts(tenant), runtime=clock.runtime).run())
    failed = [(o.name, o.error) for o in outcomes if not o.ok]
    assert failed == []
    assert {tenant.status(i) for i in tenant.ids} == {Status.RUNNING}
    assert tenant.calls["list page"] > 0  # the shared read was used, not one read per waiter
    assert tenant.calls["get"] < 3 * len(tenant.ids)


async def test_a_failure_seen_in_a_shared_read_is_confirmed_by_a_direct_read() -> None:
    clock = SimulatedTime()
    tenant = SlowListTenant(clock, 20, page_size=100, page_seconds=0.1)
    stopped_behind_our_back = tenant.ids[3]
    real_start = tenant.start

    async def start(campaign_id: str) -> None:
        await real_start(campaign_id)
        if campaign_id == stopped_behind_our_back:
            tenant.started_at.pop(campaign_id)  # someone stopped it right after our start

    tenant.start = start  # type: ignore[method-assign]
    outcomes = await clock.run(Executor(tenant, starts(tenant), runtime=clock.runtime).run())
    failed = {o.name: o.error for o in outcomes if not o.ok}
    assert failed == {stopped_behind_our_back: "the campaign was stopped while it was starting"}


async def test_an_interrupted_run_reports_every_request_it_sent_and_no_other() -> None:
    clock = SimulatedTime()
    tenant = SlowListTenant(clock, 40, call_seconds=0.1)
    stop = asyncio.Event()

    async def ctrl_c() -> None:
        await clock.sleep(0.35)  # a few starts are out by then; most are not
        stop.set()

    async def run() -> list[Outcome]:
        interrupt = asyncio.ensure_future(ctrl_c())
        outcomes = await Executor(
            tenant, starts(tenant), runtime=clock.runtime, stop=stop, concurrency=4
        ).run()
        await interrupt
        return outcomes

    outcomes = await clock.run(run())
    sent = {i for i in tenant.ids if i in tenant.started_at}
    assert 0 < len(sent) < len(tenant.ids)
    assert all(o.interrupted and not o.ok for o in outcomes)
    assert {o.name for o in outcomes if o.in_flight == Action.START} == sent
    assert all(o.in_flight is None for o in outcomes if o.name not in sent)


async def test_one_failed_read_while_waiting_decides_nothing() -> None:
    from reconciler.errors import TransientError

    clock = SimulatedTime()
    tenant = SlowListTenant(clock, 2)
    real_campaign = tenant.campaign
    failures = [TransientError("GET: 503 UPSTREAM_UNAVAILABLE")]

    async def flaky(campaign_id: str) -> LiveCampaign:
        if failures:
            raise failures.pop()
        return await real_campaign(campaign_id)

    tenant.campaign = flaky  # type: ignore[method-assign]
    outcomes = await clock.run(Executor(tenant, starts(tenant), runtime=clock.runtime).run())
    assert [(o.ok, o.error) for o in outcomes] == [(True, None), (True, None)]
    assert failures == []
