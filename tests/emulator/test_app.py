"""The bundled CXone emulator keeps every rule of cxone-api.yaml (checked by ContractTransport)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.cxone.client import CxoneClient
from reconciler.emulator.app import ApiClient, Emulator, build
from reconciler.emulator.dialer import DialerModel, Profile
from reconciler.emulator.faults import FailStart, Faults
from reconciler.emulator.store import Lifecycle
from reconciler.errors import (
    AuthError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    TransientError,
)
from tests.conftest import client_for
from tests.fakes import FakeTime
from tests.paths import ROOT
from tests.specs import api_definition as definition


async def token(raw: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await raw.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo",
            "client_secret": "demo-secret",
            **form,
        },
    )


async def bearer(raw: httpx.AsyncClient, **form: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await token(raw, **form)).json()['access_token']}"}


# --- tokens and scopes -----------------------------------------------------------------------


async def test_a_token_is_issued_for_the_form_and_for_basic_auth(raw: httpx.AsyncClient) -> None:
    form = await token(raw)
    assert form.status_code == 200
    assert form.json()["token_type"] == "Bearer" and form.json()["expires_in"] == 3600
    basic = await raw.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"demo:demo-secret").decode()},
    )
    assert basic.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"scope": "campaign:read admin:all"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
async def test_the_token_endpoint_refuses_bad_requests(
    raw: httpx.AsyncClient, form: dict[str, str], status: int, error: str
) -> None:
    response = await token(raw, **form)
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_a_token_asked_for_a_subset_of_scopes_gets_only_those(raw: httpx.AsyncClient) -> None:
    headers = await bearer(raw, scope="campaign:read")
    assert (await raw.get("/api/campaigns", headers=headers)).status_code == 200
    denied = await raw.get("/api/contactlists", headers=headers)
    assert denied.status_code == 403
    assert denied.json()["errorCode"] == "INSUFFICIENT_SCOPE"


async def test_requests_without_a_valid_bearer_get_401(raw: httpx.AsyncClient) -> None:
    missing = await raw.get("/api/campaigns")
    assert (missing.status_code, missing.json()["errorCode"]) == (401, "UNAUTHORIZED")
    bogus = await raw.get("/api/campaigns", headers={"Authorization": "Bearer nope"})
    assert (bogus.status_code, bogus.json()["errorCode"]) == (401, "INVALID_TOKEN")
    assert bogus.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_tokens_expire_after_their_lifetime(raw: httpx.AsyncClient, clock: FakeTime) -> None:
    headers = await bearer(raw)
    clock.advance(3599)
    assert (await raw.get("/api/campaigns", headers=headers)).status_code == 200
    clock.advance(2)
    assert (await raw.get("/api/campaigns", headers=headers)).status_code == 401


async def test_the_client_rides_through_a_revoked_token(api: CxoneClient, emulator: Emulator) -> None:
    await api.list_campaigns()
    emulator.store.revoke_tokens()
    assert await api.list_campaigns() == []
    assert api.auth.token_requests == 2


async def test_a_client_lacking_a_scope_gets_a_clear_error(emulator: Emulator, clock: FakeTime) -> None:
    emulator.clients = (ApiClient("ro", "ro-secret", ("campaign:read",)),)
    async with client_for(emulator, clock, client_id="ro", secret="ro-secret") as client:
        with pytest.raises(PermissionDenied) as caught:
            await client.create_campaign(definition(), idempotency_key="k")
    assert "campaign:write" in str(caught.value)
    async with client_for(emulator, clock, client_id="ro", secret="wrong") as client:
        with pytest.raises(AuthError, match="CXONE_CLIENT_SECRET"):
            await client.list_campaigns()


# --- campaigns: create, read, list ----------------------------------------------------------


async def test_a_created_campaign_is_stopped_at_version_one(api: CxoneClient, raw: httpx.AsyncClient) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k1")
    assert (created.status, created.version, created.id) == ("STOPPED", 1, "CMP-000001")
    response = await raw.get(f"/api/campaigns/{created.id}", headers=await bearer(raw))
    assert response.headers["ETag"] == '"1"'


async def test_a_reused_idempotency_key_returns_the_first_campaign(api: CxoneClient) -> None:
    first = await api.create_campaign(definition(), idempotency_key="same")
    again = await api.create_campaign(definition("Other-Name"), idempotency_key="same")
    assert again == first
    assert [c.name for c in await api.list_campaigns()] == ["Q3-Enterprise-Outbound"]


async def test_a_taken_name_is_a_conflict(api: CxoneClient) -> None:
    await api.create_campaign(definition(), idempotency_key="a")
    with pytest.raises(Conflict) as caught:
        await api.create_campaign(definition(), idempotency_key="b")
    assert caught.value.code == "DUPLICATE_NAME"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"contactListId": "CL-NOPE"}, "CONTACT_LIST_NOT_FOUND"),
        ({"contactListId": "CL-552817-NCMP"}, "CONTACT_LIST_NOT_COMPLIANT"),
        (
            {"dnc": {"enforceNational": True, "enforceLocal": True, "listIds": ["DNC-NOPE"]}},
            "DNC_LIST_NOT_FOUND",
        ),
    ],
)
async def test_bad_references_are_422(api: CxoneClient, fields: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await api.create_campaign(definition(**fields), idempotency_key="k")
    assert (caught.value.status, caught.value.code) == (422, code)


async def test_an_empty_contact_list_is_accepted(api: CxoneClient) -> None:
    created = await api.create_campaign(definition(contactListId="CL-000000-EMPT"), idempotency_key="k")
    assert created.contactListId == "CL-000000-EMPT"


async def test_invalid_fields_are_400_with_details(api: CxoneClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await api.create_campaign(
            definition(pacing={"callsPerMinute": 601, "maxConcurrent": 20}, surprise=True),
            idempotency_key="k",
        )
    assert (caught.value.status, caught.value.code) == (400, "VALIDATION_ERROR")
    assert [d["field"] for d in caught.value.details] == ["pacing.callsPerMinute"]


async def test_lists_page_with_cursors_that_survive_deletes(api: CxoneClient, raw: httpx.AsyncClient) -> None:
    for i in range(120):
        await api.create_campaign(definition(f"C-{i:03d}"), idempotency_key=f"k{i}")
    headers = await bearer(raw)
    first = (await raw.get("/api/campaigns", params={"limit": 50}, headers=headers)).json()
    assert len(first["items"]) == 50
    await api.delete_campaign("CMP-000051", version=1)
    second = (
        await raw.get("/api/campaigns", params={"limit": 50, "cursor": first["nextCursor"]}, headers=headers)
    ).json()
    assert second["items"][0]["id"] == "CMP-000052"
    assert len(await api.list_campaigns()) == 119


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"cursor": "garbage!"}])
async def test_bad_list_parameters_are_400(raw: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await raw.get("/api/campaigns", params=params, headers=await bearer(raw))
    assert (response.status_code, response.json()["errorCode"]) == (400, "VALIDATION_ERROR")


async def test_reference_lists_are_seeded_from_the_tutorial(api: CxoneClient) -> None:
    lists = {cl.id: cl for cl in await api.list_contact_lists()}
    assert lists["CL-839201-AJF2"].recordCount == 15420 and lists["CL-839201-AJF2"].dncCompliant
    assert not lists["CL-552817-NCMP"].dncCompliant
    assert lists["CL-000000-EMPT"].recordCount == 0
    assert {d.id for d in await api.list_dnc_lists()} == {"DNC-NATIONAL", "DNC-INTERNAL"}
    with pytest.raises(NotFound):
        await api.get_contact_list("CL-NOPE")
    assert (await api.get_dnc_list("DNC-NATIONAL")).scope == "NATIONAL"


# --- updates ---------------------------------------------------------------------------------


async def test_merge_patch_changes_only_what_it_names(api: CxoneClient) -> None:
    created = await api.create_campaign(
        definition(
            schedule={"timeZone": "UTC", "windows": [{"days": ["MON"], "start": "09:00", "end": "17:00"}]}
        ),
        idempotency_key="k",
    )
    updated = await api.update_campaign(
        created.id,
        {"pacing": {"callsPerMinute": 5}, "schedule": None, "labels": {"team": None, "tier": "gold"}},
        version=1,
    )
    assert updated.pacing.model_dump() == {"callsPerMinute": 5, "maxConcurrent": 20}
    assert updated.schedule is None
    assert updated.labels == {"tier": "gold"}
    assert updated.version == 2


async def test_a_no_op_patch_keeps_the_version(api: CxoneClient) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    same = await api.update_campaign(created.id, {"name": created.name, "description": "renewals"}, version=1)
    assert same.version == 1


async def test_renaming_is_refused(api: CxoneClient) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    with pytest.raises(InvalidRequest):
        await api.update_campaign(created.id, {"name": "New"}, version=1)


async def test_a_stale_if_match_is_412_for_patch_and_delete(api: CxoneClient) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    await api.update_campaign(created.id, {"description": "v2"}, version=1)
    with pytest.raises(PreconditionFailed):
        await api.update_campaign(created.id, {"description": "v3"}, version=1)
    with pytest.raises(PreconditionFailed):
        await api.delete_campaign(created.id, version=1)
    await api.delete_campaign(created.id, version=2)
    with pytest.raises(NotFound):
        await api.get_campaign(created.id)


async def test_an_active_campaign_refuses_locked_fields_but_takes_pacing(
    api: CxoneClient, clock: FakeTime
) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    await api.start_campaign(created.id)
    clock.advance(5)
    with pytest.raises(Conflict) as caught:
        await api.update_campaign(created.id, {"dialerType": "PROGRESSIVE"}, version=1)
    assert caught.value.code == "CAMPAIGN_ACTIVE"
    same_value = await api.update_campaign(created.id, {"dialerType": "PREDICTIVE"}, version=1)
    assert same_value.version == 1
    paced = await api.update_campaign(created.id, {"pacing": {"callsPerMinute": 20}}, version=1)
    assert (paced.version, paced.status) == (2, "RUNNING")
    await api.stop_campaign(created.id)
    stopping = await api.update_campaign(created.id, {"dialerType": "PROGRESSIVE"}, version=2)
    assert (stopping.status, stopping.dialerType) == ("STOPPING", "PROGRESSIVE")


# --- lifecycle -------------------------------------------------------------------------------


async def test_start_and_stop_move_through_the_lifecycle(api: CxoneClient, clock: FakeTime) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    ack = await api.start_campaign(created.id)
    assert ack.status == "QUEUED"
    seen = []
    for _ in range(4):
        seen.append((await api.get_campaign(created.id)).status)
        clock.advance(1)
    assert seen == ["QUEUED", "INITIALIZING", "INITIALIZING", "RUNNING"]
    with pytest.raises(Conflict, match="INVALID_STATE"):
        await api.start_campaign(created.id)
    with pytest.raises(Conflict, match="INVALID_STATE"):
        await api.delete_campaign(created.id, version=1)
    assert (await api.stop_campaign(created.id)).status == "STOPPING"
    with pytest.raises(Conflict, match="INVALID_STATE"):
        await api.start_campaign(created.id)
    clock.advance(1)
    assert (await api.get_campaign(created.id)).status == "STOPPED"
    with pytest.raises(Conflict, match="INVALID_STATE"):
        await api.stop_campaign(created.id)
    await api.delete_campaign(created.id, version=1)


async def test_a_forced_start_failure_ends_in_error_with_last_error(
    emulator: Emulator, clock: FakeTime
) -> None:
    emulator.faults = Faults(fail_start=(FailStart("Broken-*", "DIALER_SESSION_FAILURE", "no trunks"),))
    async with client_for(emulator, clock) as api:
        created = await api.create_campaign(definition("Broken-One"), idempotency_key="k")
        await api.start_campaign(created.id)
        clock.advance(3)
        failed = await api.get_campaign(created.id)
        assert failed.status == "ERROR"
        assert failed.lastError is not None and failed.lastError.errorCode == "DIALER_SESSION_FAILURE"
        with pytest.raises(Conflict, match="INVALID_STATE"):
            await api.stop_campaign(created.id)
        await api.delete_campaign(created.id, version=1)


async def test_a_dialled_out_list_completes_by_itself(clock: FakeTime) -> None:
    seed = {
        "contactLists": [{"id": "CL-SMALL", "name": "small", "recordCount": 30, "dncCompliant": True}],
        "dncLists": [],
    }
    emulator = build(":memory:", clock=clock.wall, lifecycle=Lifecycle(1, 1, 1), seed=seed)
    async with client_for(emulator, clock) as api:
        created = await api.create_campaign(
            definition(contactListId="CL-SMALL", dnc={"enforceNational": True, "enforceLocal": True}),
            idempotency_key="k",
        )
        await api.start_campaign(created.id)
        clock.advance(2 + 60)
        assert (await api.get_campaign(created.id)).status == "RUNNING"
        clock.advance(120)
        done = await api.get_campaign(created.id)
        assert done.status == "COMPLETED"
        assert (await api.statistics(created.id)).totalCalls == 30
        assert (await api.start_campaign(created.id)).status == "QUEUED"


async def test_realtime_is_zero_unless_running_and_agrees_with_statistics(
    api: CxoneClient, clock: FakeTime
) -> None:
    created = await api.create_campaign(definition(), idempotency_key="k")
    assert (await api.realtime(created.id)).totalCalls == 0
    await api.start_campaign(created.id)
    clock.advance(3 + 600)
    live = await api.realtime(created.id)
    stats = await api.statistics(created.id)
    assert live.totalCalls == stats.totalCalls == 100
    assert 0 < stats.answered <= stats.totalCalls
    assert stats.connectRate == round(stats.answered / stats.totalCalls, 4)
    assert stats.abandoned <= stats.answered
    await api.stop_campaign(created.id)
    assert (await api.realtime(created.id)).totalCalls == 0
    assert (await api.statistics(created.id)).totalCalls == 100


# --- the dialer model ---------------------------------------------------------------------


def test_profiles_pin_answer_and_abandon_rates() -> None:
    model = DialerModel(profiles=(Profile("Low-*", answer_rate=0.1), Profile("Spiky-*", abandon_rate=0.08)))
    assert model.answer_rate("Low-Answer", 0) == model.answer_rate("Low-Answer", 500) == 0.1
    assert model.abandon_rate("Spiky-1", 10, 20, 0.3) == 0.08


def test_abandon_rate_rises_when_pacing_outruns_agents() -> None:
    model = DialerModel()
    calm = model.abandon_rate("Q3", 10, 20, 0.4)
    busy = model.abandon_rate("Q3", 60, 20, 0.4)
    assert calm < 0.03 < busy


def test_answer_rate_drifts_reproducibly_from_the_seed() -> None:
    model = DialerModel(seed=7)
    rates = [model.answer_rate("Q3", t) for t in range(0, 900, 100)]
    assert len(set(rates)) > 3
    assert rates == [DialerModel(seed=7).answer_rate("Q3", t) for t in range(0, 900, 100)]
    assert rates != [DialerModel(seed=8).answer_rate("Q3", t) for t in range(0, 900, 100)]


# --- persistence, concurrency, faults -----------------------------------------------------


async def test_state_survives_a_restart(tmp_path: Path, clock: FakeTime) -> None:
    db = tmp_path / "sandbox.db"
    first = build(str(db), clock=clock.wall, lifecycle=Lifecycle(1, 1, 1))
    async with client_for(first, clock) as api:
        created = await api.create_campaign(definition(), idempotency_key="k")
        await api.start_campaign(created.id)
    first.store.close()
    clock.advance(5)
    second = build(str(db), clock=clock.wall, lifecycle=Lifecycle(1, 1, 1))
    async with client_for(second, clock) as api:
        again = await api.get_campaign(created.id)
        assert (again.status, again.version) == ("RUNNING", 1)
        assert (await api.create_campaign(definition("x"), idempotency_key="k")).id == created.id


async def test_concurrent_creates_of_one_name_make_one_campaign(api: CxoneClient) -> None:
    results = await asyncio.gather(
        *(api.create_campaign(definition("Race"), idempotency_key=f"k{i}") for i in range(20)),
        *(api.create_campaign(definition(f"Other-{i}"), idempotency_key=f"o{i}") for i in range(30)),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 19
    campaigns = await api.list_campaigns()
    assert len(campaigns) == 31
    assert len({c.id for c in campaigns}) == 31


async def test_injected_5xx_are_retried_by_the_client(emulator: Emulator, clock: FakeTime) -> None:
    emulator.faults = Faults(error_rate=0.3, seed=5)
    async with client_for(emulator, clock) as api:
        for i in range(20):
            await api.create_campaign(definition(f"F-{i}"), idempotency_key=f"k{i}")
        assert len(await api.list_campaigns()) == 20
    assert sum(v for k, v in emulator.requests.items() if k == "POST /api/campaigns") > 20


async def test_the_rate_limit_answers_429_with_retry_after(clock: FakeTime) -> None:
    emulator = build(":memory:", clock=clock.wall, faults=Faults(rate_limit=2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://e") as raw:
        statuses = [(await raw.get("/api/campaigns")).status_code for _ in range(4)]
        limited = await raw.get("/api/campaigns")
    assert statuses[:2] == [401, 401]
    assert 429 in statuses
    assert limited.headers["Retry-After"] == "1"


async def test_persistent_5xx_surface_as_a_transient_error(emulator: Emulator, clock: FakeTime) -> None:
    emulator.faults = Faults(error_rate=1.0)
    async with client_for(emulator, clock) as api:
        with pytest.raises(TransientError):
            await api.list_campaigns()


async def test_the_emulator_serves_the_bundled_contract(raw: httpx.AsyncClient) -> None:
    served = (await raw.get("/openapi.yaml")).text
    bundled = ROOT / "reconciler" / "emulator" / "openapi.yaml"
    assert served == bundled.read_text()


def test_the_bundled_contract_is_an_openapi_31_document_of_the_campaigns_api() -> None:
    """The project's copy of the contract: the emulator serves it, the tests check every answer against it."""
    bundled = yaml.safe_load((ROOT / "reconciler" / "emulator" / "openapi.yaml").read_text())
    assert bundled["openapi"].startswith("3.1")
    assert {"/api/campaigns", "/api/campaigns/{campaignId}", "/oauth/token"} <= set(bundled["paths"])
