"""Statistics are counters since creation: they never go down, whatever pacing, stops and starts do."""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.emulator.app import Emulator, build
from reconciler.emulator.dialer import DialerModel
from reconciler.emulator.store import Lifecycle
from tests.emulator.test_app import bearer
from tests.fakes import FakeTime
from tests.specs import api_definition as definition

COUNTERS = ("totalCalls", "answered", "abandoned")


class Reader:
    """Reads /statistics and /realtime and checks that no counter ever went down."""

    def __init__(self, raw: httpx.AsyncClient, campaign: str) -> None:
        self.raw, self.campaign = raw, campaign
        self.headers: dict[str, str] = {}
        self.seen: list[dict[str, int]] = []
        self.live_total = 0

    async def read(self) -> dict[str, int]:
        self.headers = await bearer(self.raw)  # the test outlives a token
        stats = (await self.raw.get(f"{self.campaign}/statistics", headers=self.headers)).json()
        figures = {k: stats[k] for k in COUNTERS}
        if self.seen:
            before = self.seen[-1]
            assert all(figures[k] >= before[k] for k in COUNTERS), (before, figures)
        assert figures["abandoned"] <= figures["answered"] <= figures["totalCalls"]
        self.seen.append(figures)
        live = (await self.raw.get(f"{self.campaign}/realtime", headers=self.headers)).json()
        if live["totalCalls"]:  # zeros unless RUNNING (the contract); while running, a counter
            assert live["totalCalls"] >= self.live_total
            assert live["totalCalls"] == figures["totalCalls"]
            self.live_total = live["totalCalls"]
        return figures

    async def pace(self, cpm: int, concurrent: int) -> None:
        self.headers = await bearer(self.raw)
        pacing = {"callsPerMinute": cpm, "maxConcurrent": concurrent}
        patched = await self.raw.patch(self.campaign, json={"pacing": pacing}, headers=self.headers)
        assert patched.status_code == 200


async def test_counters_never_go_down_across_pacing_changes_stops_and_starts(
    emulator: Emulator, raw: httpx.AsyncClient, clock: FakeTime
) -> None:
    headers = await bearer(raw)
    created = await raw.post("/api/campaigns", json=definition(), headers=headers)
    campaign = f"/api/campaigns/{created.json()['id']}"
    reader = Reader(raw, campaign)
    await raw.post(f"{campaign}/start", headers=headers)
    for step, (cpm, concurrent) in enumerate([(60, 20), (600, 5), (5, 1000), (300, 2), (30, 50)] * 3):
        for _ in range(6):
            clock.advance(47)  # off the dialer's minute, across its 15-minute drift
            await reader.read()
        await reader.pace(cpm, concurrent)
        await reader.read()
        if step % 4 == 3:
            assert (await raw.post(f"{campaign}/stop", headers=reader.headers)).status_code == 202
            clock.advance(30)
            await reader.read()
            assert (await raw.post(f"{campaign}/start", headers=reader.headers)).status_code == 202
            await reader.read()
    first, last = reader.seen[0], reader.seen[-1]
    assert all(last[k] > first[k] for k in COUNTERS)
    assert reader.live_total > 0


async def test_a_completed_campaign_started_again_keeps_its_counts(clock: FakeTime) -> None:
    seed = {
        "contactLists": [{"id": "CL-SMALL", "name": "small", "recordCount": 30, "dncCompliant": True}],
        "dncLists": [],
    }
    emulator = build(":memory:", clock=clock.wall, lifecycle=Lifecycle(1, 1, 1), seed=seed)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as raw:
        headers = await bearer(raw)
        body = definition(contactListId="CL-SMALL", dnc={"enforceNational": True, "enforceLocal": True})
        campaign = (
            "/api/campaigns/" + (await raw.post("/api/campaigns", json=body, headers=headers)).json()["id"]
        )
        reader = Reader(raw, campaign)
        await raw.post(f"{campaign}/start", headers=headers)
        clock.advance(2 + 300)
        assert (await raw.get(campaign, headers=headers)).json()["status"] == "COMPLETED"
        assert (await reader.read())["totalCalls"] == 30
        assert (await raw.post(f"{campaign}/start", headers=headers)).status_code == 202
        for _ in range(5):
            clock.advance(1)
            assert (await reader.read())["totalCalls"] == 30
        assert (await raw.get(campaign, headers=headers)).json()["status"] == "COMPLETED"


async def test_banked_counts_survive_a_restart_of_the_emulator(tmp_path: Path, clock: FakeTime) -> None:
    db = str(tmp_path / "state.db")
    dialer = DialerModel(speed=1.0)
    first = build(db, clock=clock.wall, lifecycle=Lifecycle(1, 1, 1), dialer=dialer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first.app), base_url="http://e") as raw:
        headers = await bearer(raw)
        campaign = (
            "/api/campaigns/"
            + (await raw.post("/api/campaigns", json=definition(), headers=headers)).json()["id"]
        )
        await raw.post(f"{campaign}/start", headers=headers)
        clock.advance(2 + 900)
        await raw.post(f"{campaign}/stop", headers=headers)
        before = (await raw.get(f"{campaign}/statistics", headers=headers)).json()
    first.store.close()
    second = build(db, clock=clock.wall, lifecycle=Lifecycle(1, 1, 1), dialer=dialer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second.app), base_url="http://e") as raw:
        after = (await raw.get(f"{campaign}/statistics", headers=await bearer(raw))).json()
    assert after == before and before["totalCalls"] == 150
