"""The control API over HTTP, in process: roles, errors, reads, launch, suspend and resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.app import Emulator
from reconciler.service.app import contract
from tests.fakes import FakeTime
from tests.service_harness import Served, serving
from tests.specs import api_definition, spec_text, write_spec


@pytest.fixture
async def svc(tmp_path: Path, emulator: Emulator, clock: FakeTime) -> AsyncIterator[Served]:
    (tmp_path / "campaigns").mkdir()
    write_spec(
        tmp_path / "campaigns",
        "specs.yaml",
        spec_text("Q3-Outbound", "running"),
        spec_text("Winter-Stopped", "stopped"),
        spec_text("Sales/West", "running"),
    )
    async with serving(Served(tmp_path, emulator, clock)) as served:
        yield served


def error(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def test_health_and_the_contract_need_no_token(svc: Served) -> None:
    assert (await svc.get("/healthz", None)).json() == {"status": "ok"}
    assert (await svc.get("/openapi.json", None)).json() == contract()
    assert (await svc.get("/metrics", None)).status_code == 200


async def test_no_token_or_an_unknown_one_is_401_with_www_authenticate(svc: Served) -> None:
    missing = await svc.get("/api/v1/status", None)
    assert missing.status_code == 401 and error(missing) == "UNAUTHORIZED"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    svc.tokens["forged"] = "cxr_not-a-real-token"
    forged = await svc.get("/api/v1/status", "forged")
    assert forged.status_code == 401 and "cxr_" not in forged.text


async def test_a_viewer_reads_but_may_not_write(svc: Served) -> None:
    assert (await svc.get("/api/v1/campaigns", "viewer")).status_code == 200
    for path in (
        "/api/v1/campaigns/Q3-Outbound/launch",
        "/api/v1/sync",
        "/api/v1/campaigns/Q3-Outbound/resume",
    ):
        refused = await svc.post(path, "viewer")
        assert refused.status_code == 403 and error(refused) == "FORBIDDEN"
    assert svc.creates() == 0


async def test_status_names_the_target_the_mode_and_the_last_cycle(svc: Served) -> None:
    before = (await svc.get("/api/v1/status")).json()
    assert before == {"target": "emulator", "drift": "warn", "syncInterval": "5m", "lastCycle": None}
    await svc.finished(await svc.post("/api/v1/sync"))
    after = (await svc.get("/api/v1/status")).json()
    assert after["lastCycle"]["outcome"] == "drift" and after["lastCycle"]["error"] is None


async def test_campaigns_show_missing_orphaned_and_unowned(svc: Served, emulator: Emulator) -> None:
    emulator.store.create("Orphan", api_definition("Orphan", labels={"managed-by": "cxone-reconciler"}), None)
    emulator.store.create("Winter-Stopped", api_definition("Winter-Stopped"), None)  # not ours
    emulator.store.create("Somebody-Else", api_definition("Somebody-Else"), None)
    rows = {c["name"]: c for c in (await svc.get("/api/v1/campaigns")).json()["campaigns"]}
    assert set(rows) == {"Q3-Outbound", "Winter-Stopped", "Sales/West", "Orphan"}
    assert rows["Q3-Outbound"]["drift"] == "missing" and rows["Q3-Outbound"]["status"] is None
    assert rows["Orphan"]["drift"] == "drifted" and rows["Orphan"]["driftFields"] == ["<orphaned>"]
    assert rows["Winter-Stopped"]["drift"] == "unowned"
    orphan = await svc.get("/api/v1/campaigns/Orphan")
    assert orphan.json()["campaignId"] == rows["Orphan"]["campaignId"]
    assert error(await svc.get("/api/v1/campaigns/Somebody-Else")) == "SPEC_NOT_FOUND"


async def test_launch_creates_once_and_reaches_running(svc: Served) -> None:
    first = await svc.post("/api/v1/campaigns/Q3-Outbound/launch")
    again = await svc.post("/api/v1/campaigns/Q3-Outbound/launch")
    assert again.json()["operation"]["id"] == first.json()["operation"]["id"]  # the running one
    done = await svc.finished(first)
    assert done["state"] == "succeeded" and done["actions"] == ["create", "start"] and done["actor"] == "otto"
    assert svc.live()["Q3-Outbound"]["status"] == "RUNNING"
    relaunched = await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    assert relaunched["state"] == "succeeded" and relaunched["actions"] == []
    assert svc.creates() == 1
    shown = (await svc.get("/api/v1/campaigns/Q3-Outbound")).json()
    assert shown["status"] == "RUNNING" and shown["drift"] == "in-sync"
    kinds = [e["kind"] for e in (await svc.get("/api/v1/events")).json()["events"]]
    assert "launch" in kinds


async def test_a_name_with_a_slash_is_addressed_with_percent_2f(svc: Served) -> None:
    done = await svc.finished(await svc.post("/api/v1/campaigns/Sales%2FWest/launch"))
    assert done["campaign"] == "Sales/West" and done["state"] == "succeeded"
    assert (await svc.get("/api/v1/campaigns/Sales%2FWest")).json()["status"] == "RUNNING"


async def test_launch_is_refused_for_an_unknown_name_and_a_stopped_spec(svc: Served) -> None:
    unknown = await svc.post("/api/v1/campaigns/Nope/launch")
    assert unknown.status_code == 404 and error(unknown) == "SPEC_NOT_FOUND"
    stopped = await svc.post("/api/v1/campaigns/Winter-Stopped/launch")
    assert stopped.status_code == 409 and error(stopped) == "SPEC_SAYS_STOPPED"


async def test_launch_of_an_unowned_campaign_fails_and_touches_nothing(
    svc: Served, emulator: Emulator
) -> None:
    emulator.store.create("Q3-Outbound", api_definition("Q3-Outbound"), None)
    done = await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    assert done["state"] == "failed" and "not managed" in done["error"]
    assert svc.live()["Q3-Outbound"]["status"] == "STOPPED"


async def test_launch_starts_a_completed_campaign_again(svc: Served, clock: FakeTime) -> None:
    await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    clock.advance(10**7)  # the dialer works through the whole contact list
    assert svc.live()["Q3-Outbound"]["status"] == "COMPLETED"
    done = await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    assert done["state"] == "succeeded" and done["actions"] == ["start"]


async def test_suspend_needs_a_valid_reason(svc: Served) -> None:
    path = "/api/v1/campaigns/Q3-Outbound/suspend"
    for bad in (None, {}, {"reason": 10}, {"reason": "no"}, {"reason": "fine reason", "by": "me"}):
        refused = await svc.post(path, json=bad) if bad is not None else await svc.post(path)
        assert refused.status_code == 400 and error(refused) == "VALIDATION_ERROR", bad
    assert (await svc.get("/api/v1/campaigns/Q3-Outbound")).json()["suspended"] is None


async def test_suspend_stops_and_pins_then_resume_converges(svc: Served) -> None:
    await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    done = await svc.finished(
        await svc.post("/api/v1/campaigns/Q3-Outbound/suspend", json={"reason": "complaints spike"})
    )
    assert done["state"] == "succeeded" and done["actions"] == ["stop"]
    assert svc.live()["Q3-Outbound"]["status"] == "STOPPED"
    shown = (await svc.get("/api/v1/campaigns/Q3-Outbound")).json()
    assert shown["drift"] == "suspended"
    assert shown["suspended"]["reason"] == "complaints spike" and shown["suspended"]["by"] == "otto"
    launch = await svc.post("/api/v1/campaigns/Q3-Outbound/launch")
    assert launch.status_code == 409 and error(launch) == "SUSPENDED"
    resumed = await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/resume"))
    assert resumed["state"] == "succeeded" and resumed["actions"] == ["start"]
    assert svc.live()["Q3-Outbound"]["status"] == "RUNNING"
    again = await svc.post("/api/v1/campaigns/Q3-Outbound/resume")
    assert again.status_code == 409 and error(again) == "NOT_SUSPENDED"


async def test_suspend_cancels_a_running_launch(svc: Served) -> None:
    launch = await svc.post("/api/v1/campaigns/Q3-Outbound/launch")
    suspend = await svc.post("/api/v1/campaigns/Q3-Outbound/suspend", json={"reason": "wrong list"})
    launched = await svc.finished(launch)
    assert launched["state"] == "failed" and launched["error"] == "cancelled by suspend"
    await svc.finished(suspend)
    assert svc.live().get("Q3-Outbound", {}).get("status", "STOPPED") in ("STOPPED", "STOPPING")


async def test_unknown_paths_and_operations_are_not_found(svc: Served) -> None:
    assert error(await svc.get("/api/v1/operations/nope")) == "NOT_FOUND"
    assert error(await svc.get("/api/v1/nothing-here")) == "NOT_FOUND"
    assert error(await svc.get("/api/v1/campaigns/Q3-Outbound/frobnicate")) == "NOT_FOUND"


async def test_events_page_with_since_and_limit_strictly(svc: Served) -> None:
    for _ in range(3):
        await svc.finished(await svc.post("/api/v1/sync"))
    everything = (await svc.get("/api/v1/events")).json()["events"]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids) and len(ids) >= 3
    last_two = (await svc.get("/api/v1/events", params={"limit": "2"})).json()["events"]
    assert [e["id"] for e in last_two] == ids[-2:]
    after = (await svc.get("/api/v1/events", params={"since": str(ids[0])})).json()["events"]
    assert [e["id"] for e in after] == ids[1:]
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"since": "-1"}, {"since": "1.5"}):
        assert error(await svc.get("/api/v1/events", params=params)) == "VALIDATION_ERROR"


async def test_summary_reports_the_owned_campaigns_the_specs_name(svc: Served, clock: FakeTime) -> None:
    await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    clock.advance(600)
    summary = (await svc.get("/api/v1/summary")).json()
    assert summary["target"] == "emulator"
    assert [r["name"] for r in summary["campaigns"]] == ["Q3-Outbound"]
    one = (await svc.get("/api/v1/campaigns/Q3-Outbound/summary")).json()
    assert one["name"] == "Q3-Outbound" and one["totalCalls"] == summary["campaigns"][0]["totalCalls"]
    assert error(await svc.get("/api/v1/campaigns/Winter-Stopped/summary")) == "NOT_FOUND"


async def test_no_token_or_secret_appears_in_the_log(svc: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    await svc.get("/api/v1/status", "viewer")
    for token in svc.tokens.values():
        assert token not in caplog.text
