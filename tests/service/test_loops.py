"""The loops through the API: drift warn vs enforce, suspensions across restarts, pacing, readiness."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.app import Emulator, build
from reconciler.emulator.dialer import DialerModel, Profile
from reconciler.emulator.store import Lifecycle
from reconciler.service.loops import Supervisor
from tests.fakes import FakeTime
from tests.service_harness import Served, serving
from tests.specs import spec_text, write_spec

ADAPTIVE = """\
  adaptivePacing:
    interval: 30s
    cooldown: 0s
    minCallsPerMinute: 5
    maxCallsPerMinute: 25
    rules:
      - when: {answerRate: {gte: 0.35}}
        set: {callsPerMinute: 25}
"""


def error(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


def staged(tmp_path: Path, clock: FakeTime, *docs: str, drift: str = "warn") -> Served:
    (tmp_path / "campaigns").mkdir(exist_ok=True)
    write_spec(tmp_path / "campaigns", "specs.yaml", *docs)
    emulator = build(
        ":memory:",
        clock=clock.wall,
        lifecycle=Lifecycle(queued=1, initializing=2, stopping=1),
        dialer=DialerModel(profiles=(Profile("High-*", answer_rate=0.5),)),
    )
    return Served(tmp_path, emulator, clock, drift=drift)


def touch_by_hand(emulator: Emulator, name: str, **pacing: int) -> None:
    row = emulator.store.by_name(name)
    assert row is not None
    definition = {**row.definition, "pacing": {**row.definition["pacing"], **pacing}}
    emulator.store.replace_definition(row, definition)


async def sync(svc: Served) -> dict[str, Any]:
    await svc.finished(await svc.post("/api/v1/sync"))
    status: dict[str, Any] = (await svc.get("/api/v1/status")).json()
    return status


@pytest.mark.parametrize("mode", ["warn", "enforce"])
async def test_a_live_change_behind_its_back_is_reported_or_reverted(
    tmp_path: Path, clock: FakeTime, mode: str
) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"), drift=mode)
    async with serving(served) as svc:
        await svc.finished(await svc.post("/api/v1/campaigns/Q3/launch"))
        assert (await sync(svc))["lastCycle"]["outcome"] == "ok"
        touch_by_hand(svc.emulator, "Q3", maxConcurrent=99)
        status = await sync(svc)
        shown = (await svc.get("/api/v1/campaigns/Q3")).json()
        messages = [e["message"] for e in (await svc.get("/api/v1/events")).json()["events"]]
        assert "Q3 drifted: pacing.maxConcurrent" in messages
        if mode == "warn":
            assert status["lastCycle"]["outcome"] == "drift"
            assert shown["drift"] == "drifted" and shown["driftFields"] == ["pacing.maxConcurrent"]
            assert svc.live()["Q3"]["pacing"]["maxConcurrent"] == 99
        else:
            assert status["lastCycle"]["outcome"] == "applied"
            assert shown["drift"] == "in-sync"
            assert svc.live()["Q3"]["pacing"]["maxConcurrent"] == 20


async def test_enforce_creates_and_starts_what_is_missing(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"), spec_text("Quiet"), drift="enforce")
    async with serving(served) as svc:
        assert (await sync(svc))["lastCycle"]["outcome"] == "applied"
        assert svc.live()["Q3"]["status"] == "RUNNING" and svc.live()["Quiet"]["status"] == "STOPPED"
        assert (await sync(svc))["lastCycle"]["outcome"] == "ok"


@pytest.mark.parametrize("mode", ["warn", "enforce"])
async def test_a_suspension_survives_a_restart_and_holds_against_enforce(
    tmp_path: Path, clock: FakeTime, mode: str
) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"), drift=mode)
    async with serving(served) as svc:
        await svc.finished(await svc.post("/api/v1/campaigns/Q3/launch"))
        await svc.finished(await svc.post("/api/v1/campaigns/Q3/suspend", json={"reason": "regulator call"}))
    async with serving(served) as svc:  # a new process on the same state file
        await sync(svc)
        assert svc.live()["Q3"]["status"] == "STOPPED"  # enforce did not start it again
        shown = (await svc.get("/api/v1/campaigns/Q3")).json()
        assert shown["drift"] == "suspended" and shown["suspended"]["reason"] == "regulator call"
        row = svc.emulator.store.by_name("Q3")
        assert row is not None
        svc.emulator.store.start(row, None)  # someone starts it by hand
        clock.advance(5)
        await sync(svc)
        events = [e["message"] for e in (await svc.get("/api/v1/events")).json()["events"]]
        if mode == "enforce":
            assert "Q3 is suspended but RUNNING: stopping it again" in events
            assert svc.live()["Q3"]["status"] == "STOPPED"
        else:
            assert "Q3 is suspended but RUNNING: left running (--drift warn)" in events
            assert svc.live()["Q3"]["status"] == "RUNNING"


async def test_a_cycle_over_the_safety_threshold_applies_nothing(tmp_path: Path, clock: FakeTime) -> None:
    names = [f"C{i:02d}" for i in range(12)]
    served = staged(tmp_path, clock, *(spec_text(n, "running") for n in names), drift="enforce")
    async with serving(served) as svc:
        await sync(svc)
        write_spec(svc.specs, "specs.yaml", *(spec_text(n, "stopped") for n in names))
        status = await sync(svc)
        assert (
            status["lastCycle"]["outcome"] == "failed"
            and "stop or delete 12 of 12" in status["lastCycle"]["error"]
        )
        assert all(svc.live()[n]["status"] == "RUNNING" for n in names)


async def test_pace_now_decides_as_pace_does_and_history_keeps_it(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(
        tmp_path, clock, spec_text("High-Answer", "running", extra=ADAPTIVE), spec_text("Plain", "running")
    )
    async with serving(served) as svc:
        await svc.finished(await svc.post("/api/v1/campaigns/High-Answer/launch"))
        await svc.finished(await svc.post("/api/v1/campaigns/Plain/launch"))
        clock.advance(600)
        dry = (await svc.post("/api/v1/campaigns/High-Answer/pace", params={"dryRun": "true"})).json()
        assert dry["decision"]["applied"] is False and dry["decision"]["to"]["callsPerMinute"] == 25
        assert svc.live()["High-Answer"]["pacing"]["callsPerMinute"] == 10
        real = (await svc.post("/api/v1/campaigns/High-Answer/pace")).json()["decision"]
        assert real["applied"] is True and real["from"]["callsPerMinute"] == 10
        assert svc.live()["High-Answer"]["pacing"]["callsPerMinute"] == 25
        history = (await svc.get("/api/v1/campaigns/High-Answer/history")).json()
        assert len(history["samples"]) == 2 and [d["applied"] for d in history["decisions"]] == [True]
        plain = await svc.post("/api/v1/campaigns/Plain/pace")
        assert plain.status_code == 409 and error(plain) == "NO_ADAPTIVE_PACING"
        bad = await svc.post("/api/v1/campaigns/High-Answer/pace", params={"dryRun": "1"})
        assert error(bad) == "VALIDATION_ERROR"
        await svc.finished(
            await svc.post("/api/v1/campaigns/High-Answer/suspend", json={"reason": "pause it"})
        )
        assert error(await svc.post("/api/v1/campaigns/High-Answer/pace")) == "SUSPENDED"
        await svc.finished(await svc.post("/api/v1/campaigns/High-Answer/resume"))
        svc.emulator.store.stop(svc.emulator.store.by_name("High-Answer"))  # type: ignore[arg-type]
        clock.advance(5)
        await sync(svc)
        assert error(await svc.post("/api/v1/campaigns/High-Answer/pace")) in ("NOT_RUNNING", "SUSPENDED")


async def test_the_pacing_loop_paces_each_running_campaign_on_its_interval(
    tmp_path: Path, clock: FakeTime
) -> None:
    served = staged(tmp_path, clock, spec_text("High-Answer", "running", extra=ADAPTIVE))
    async with serving(served) as svc:
        await svc.finished(await svc.post("/api/v1/campaigns/High-Answer/launch"))
        await sync(svc)
        supervisor = Supervisor(svc.c, holder="test", pid=1)
        started = clock.now
        loop = asyncio.create_task(supervisor.pacing_loop())
        while clock.now - started < 95:
            await asyncio.sleep(0)
        loop.cancel()
        await asyncio.gather(loop, *supervisor._inflight.values(), return_exceptions=True)
        samples = (await svc.get("/api/v1/campaigns/High-Answer/history")).json()["samples"]
        assert 3 <= len(samples) <= 5  # rounds at 0, 30, 60, 90 s
        assert max(supervisor.lateness) <= 3.0


async def test_readiness_follows_the_first_cycle_and_the_tenant(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"))
    async with serving(served) as svc:
        first = await svc.get("/readyz", None)
        assert first.status_code == 503 and error(first) == "NOT_READY"
        await sync(svc)
        assert (await svc.get("/readyz", None)).status_code == 200
        assert svc.outage is not None
        svc.outage.down = True
        status = await sync(svc)
        assert (
            status["lastCycle"]["outcome"] == "failed" and "cannot be reached" in status["lastCycle"]["error"]
        )
        down = await svc.get("/readyz", None)
        assert down.status_code == 503 and error(down) == "UPSTREAM_UNAVAILABLE"
        assert (await svc.get("/healthz", None)).status_code == 200
        assert (await svc.get("/api/v1/campaigns")).status_code == 200  # the last read still answers
        svc.outage.down = False
        clock.advance(120)  # the circuit breaker half-opens
        await sync(svc)
        assert (await svc.get("/readyz", None)).status_code == 200


async def test_the_reconcile_loop_rides_out_an_outage(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"))
    async with serving(served) as svc:
        assert svc.outage is not None
        svc.outage.down = True
        supervisor = Supervisor(svc.c, holder="test", pid=1)
        loop = asyncio.create_task(supervisor.reconcile_loop())
        while clock.now < 1000 + 3 * 300 * 1.2:
            await asyncio.sleep(0)
        assert not loop.done()
        svc.outage.down = False
        clock.advance(120)
        while not svc.c.cycled:
            await asyncio.sleep(0)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        metrics = (await svc.get("/metrics", None)).text
        assert 'cxone_reconciler_cycles_total{outcome="failed"}' in metrics


async def test_an_unreachable_tenant_before_any_read_is_503(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"))
    async with serving(served) as svc:
        assert svc.outage is not None
        svc.outage.down = True
        refused = await svc.get("/api/v1/campaigns")
        assert refused.status_code == 503 and error(refused) == "UPSTREAM_UNAVAILABLE"


def signed(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


async def test_the_github_webhook_checks_its_signature(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("Q3", "running"))
    async with serving(served) as svc:
        off = await svc.post("/api/v1/hooks/github", None, content=b"{}")
        assert off.status_code == 404
    served.webhook_secret = b"s3cret"
    async with serving(served) as svc:
        body = b'{"ref": "refs/heads/main"}'
        for header in (None, "sha256=00", signed(b"other", body)):
            headers = {"X-GitHub-Event": "push", **({"X-Hub-Signature-256": header} if header else {})}
            refused = await svc.post("/api/v1/hooks/github", None, content=body, headers=headers)
            assert refused.status_code == 401 and error(refused) == "BAD_SIGNATURE"
        ping = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": signed(b"s3cret", body)}
        assert (await svc.post("/api/v1/hooks/github", None, content=body, headers=ping)).status_code == 200
        issues = {"X-GitHub-Event": "issues", "X-Hub-Signature-256": signed(b"s3cret", body)}
        assert (await svc.post("/api/v1/hooks/github", None, content=body, headers=issues)).status_code == 200
        push = {"X-GitHub-Event": "push", "X-Hub-Signature-256": signed(b"s3cret", body)}
        done = await svc.finished(await svc.post("/api/v1/hooks/github", None, content=body, headers=push))
        assert done["kind"] == "sync" and done["actor"] == "github" and done["state"] == "succeeded"


async def test_metrics_export_every_series_the_contract_names(tmp_path: Path, clock: FakeTime) -> None:
    served = staged(tmp_path, clock, spec_text("High-Answer", "running", extra=ADAPTIVE))
    async with serving(served) as svc:
        await svc.finished(await svc.post("/api/v1/campaigns/High-Answer/launch"))
        clock.advance(600)
        await sync(svc)
        await svc.post("/api/v1/campaigns/High-Answer/pace")
        text = (await svc.get("/metrics", None)).text
    for name in (
        'cxone_reconciler_cycles_total{outcome="ok"}',
        "cxone_reconciler_cycle_duration_seconds_bucket",
        'cxone_reconciler_campaigns{state="unowned"} 0.0',
        'cxone_reconciler_campaigns{state="in-sync"} 1.0',
        'cxone_reconciler_operations_total{kind="launch",outcome="succeeded"} 1.0',
        'cxone_reconciler_pacing_decisions_total{applied="true"} 1.0',
        'cxone_reconciler_api_requests_total{code="200",method="GET"}',
        "cxone_reconciler_api_request_duration_seconds_bucket",
        "cxone_reconciler_api_rate_limited_total 0.0",
        "cxone_reconciler_circuit_open 0.0",
        'cxone_reconciler_campaign_calls_per_minute{campaign="High-Answer"} 25.0',
        'cxone_reconciler_campaign_answer_rate{campaign="High-Answer"}',
        'cxone_reconciler_campaign_abandon_rate{campaign="High-Answer"}',
    ):
        assert name in text, name
