"""The ACD client and the emulator's quirks: login, discovery, expiry, 401, 429, 204, pages, versions."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from reconciler.emulator.acd import Quirks
from reconciler.errors import AuthError, ConfigError, NotFound
from reconciler.providers.acd import open_acd_tenant
from reconciler.providers.acd.client import claims
from reconciler.providers.acd.options import from_env
from reconciler.providers.acd.wire import count, rows, unwrap
from tests.acd_support import BASE, definition, emulator, options, tenant_for
from tests.contract import AcdContractTransport
from tests.fakes import FakeTime

ROOT = f"{BASE}/inContactAPI/services/v34.0"


async def test_logs_in_with_the_access_key_and_discovers_the_api_host() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks())
    async with tenant_for(emu, clock) as tenant:
        assert await tenant.campaigns() == []
        assert tenant.client.root == ROOT
        assert tenant.client.claims["tenantId"]
    assert emu.requests["POST /auth/token"] == 1
    assert emu.requests["GET /.well-known/cxone-configuration"] == 1


async def test_an_explicit_api_base_skips_discovery() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks())
    async with tenant_for(emu, clock, api_base=BASE) as tenant:
        await tenant.campaigns()
    assert emu.requests["GET /.well-known/cxone-configuration"] == 0


async def test_a_wrong_access_key_is_an_auth_error_naming_the_variables() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock, access_key_secret=SecretStr("wrong")) as tenant:
        with pytest.raises(AuthError, match="CXONE_ACCESS_KEY_ID") as caught:
            await tenant.campaigns()
    assert "wrong" not in str(caught.value)


async def test_logs_in_again_before_expiry_and_once_on_a_401() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks(revoke_every=4), token_lifetime=600)
    async with tenant_for(emu, clock) as tenant:
        for _ in range(6):
            assert await tenant.contact_list("Enterprise-Q3") is not None
        logins = tenant.client.logins
        assert logins >= 2  # every 4th request found its token revoked
        clock.advance(600)
        await tenant.business_unit()
        await tenant.contact_list("Enterprise-Q3")
        assert tenant.client.logins > logins


async def test_rides_out_429_with_and_without_retry_after() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks(throttle_every=2))
    async with tenant_for(emu, clock) as tenant:
        for name in ("Enterprise-Q3", "SMB-Renewals", "Empty-List") * 2:
            assert await tenant.contact_list(name) is not None
        assert tenant.traffic.rate_limited >= 4
    assert 1.0 in clock.sleeps  # the Retry-After: 1 answers
    assert 2.0 in clock.sleeps  # our own backoff when none was sent


async def test_204_is_an_empty_list_and_wrappers_and_string_counts_are_read() -> None:
    clock = FakeTime()
    for quirks in (Quirks(), Quirks.none()):
        emu = emulator(clock, quirks=quirks)
        async with tenant_for(emu, clock) as tenant:
            assert await tenant.campaigns() == []
            created = await tenant.create("rc-a", [], attempt="a")
            assert created.labels == {} and created.definition["dnc"]["listIds"] == []
    assert count("12") == 12 and count(12) == 12 and count(True) is None and count("x") is None
    assert unwrap({"resultSet": {"a": 1}}) == {"a": 1}
    assert rows(None, "tags", "tags") == []


async def test_pages_follow_links_next() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock, page_size=1) as tenant:
        lists = await tenant.client.all("/lists/call-lists", "callingLists", "calling list")
    assert [entry["listName"] for entry in lists] == ["Enterprise-Q3", "SMB-Renewals", "Empty-List"]
    assert emu.requests[f"GET {ROOT.removeprefix(BASE)}/lists/call-lists"] == 3


async def test_without_quirks_the_create_result_carries_the_id_and_no_lookup_is_needed() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks.none())
    async with tenant_for(emu, clock) as tenant:
        from reconciler.engine.diff import field_changes

        live = await tenant.create("rc-b", field_changes(None, definition("rc-b")), attempt="b")
        assert live.owned and live.definition["contactListId"] == "Enterprise-Q3"
    assert clock.sleeps == [2.0] or all(
        s == 2.0 for s in clock.sleeps
    )  # upload polls only, no list-lag waits


async def test_accept_application_json_is_required_and_always_sent() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    transport = AcdContractTransport(httpx.ASGITransport(app=emu.app))
    async with httpx.AsyncClient(transport=transport) as raw:
        form = {"grant_type": "password", "username": "demo", "password": "demo-secret"}
        token = (await raw.post(f"{BASE}/auth/token", data=form)).json()["access_token"]
        answer = await raw.get(
            f"{ROOT}/business-unit", headers={"Authorization": f"Bearer {token}", "Accept": "*/*"}
        )
    assert answer.status_code == 406 and answer.json()["error_description"] == "No known way to render data"


async def test_the_api_version_is_configurable() -> None:
    clock = FakeTime()
    emu = emulator(clock, version="33.0")
    async with tenant_for(emu, clock, api_version="33.0") as tenant:
        assert (await tenant.business_unit())["allowPredictiveDialing"] is True
    async with tenant_for(emu, clock) as tenant:
        with pytest.raises(NotFound):
            await tenant.business_unit()


async def test_statistics_read_either_key_of_dialer_contacts() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks(stats_key="wfM_OB_StatsV9", list_lag=0))
    async with tenant_for(emu, clock) as tenant:
        live = await tenant.create("rc-c", [], attempt="c")
        await tenant.start(live.id)
        clock.advance(600)
        stats = await tenant.statistics(live.id)
    assert stats.total_calls > 0 and stats.avg_talk_time > 100


def test_claims_of_a_token_that_is_not_a_jwt_are_empty() -> None:
    assert claims("opaque") == {} and claims("a.!!!.c") == {}


def test_options_from_the_environment() -> None:
    with pytest.raises(ConfigError, match="CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET"):
        from_env({})
    env = {
        "CXONE_ACCESS_KEY_ID": "key",
        "CXONE_ACCESS_KEY_SECRET": "secret",
        "CXONE_API_VERSION": "v33",
        "CXONE_API_BASE": "https://api-c42.nice-incontact.com/",
        "CXONE_ACD_TENANT_DNC_GROUP": "Tenant DNC",
        "CXONE_ACD_FORCE_STOP": "true",
    }
    got = from_env(env)
    assert (got.api_version, got.api_base, got.tenant_dnc_group, got.force_stop) == (
        "33.0",
        "https://api-c42.nice-incontact.com",
        "Tenant DNC",
        True,
    )
    assert "secret" not in repr(got)
    with pytest.raises(ConfigError, match="http"):
        from_env(env | {"CXONE_API_BASE": "api.example"})


async def test_a_sandbox_target_gets_the_acd_emulator_in_process(tmp_path: Path) -> None:
    class Target:
        sandbox = tmp_path / "sandbox.db"

    async with open_acd_tenant(Target(), runtime=FakeTime().runtime) as tenant:
        info = await tenant.contact_list("Enterprise-Q3")
    assert info is not None and info.record_count == 120
    assert (tmp_path / "sandbox-acd.db").exists()


async def test_force_stop_only_by_the_explicit_option() -> None:
    clock = FakeTime()
    emu = emulator(clock, quirks=Quirks(list_lag=0))
    async with tenant_for(emu, clock, force_stop=True) as tenant:
        live = await tenant.create("rc-d", [], attempt="d")
        await tenant.start(live.id)
        clock.advance(5)
        await tenant.stop(live.id)
        skill = emu.state.get("skill", live.id)
        assert skill is not None and skill["_drain"] == 0.0
    assert options().force_stop is False


@pytest.mark.parametrize(
    "name",
    [
        "reconciler.providers.acd",
        "reconciler.providers.acd.client",
        "reconciler.providers.acd.mapping",
        "reconciler.providers.acd.options",
        "reconciler.providers.acd.reads",
        "reconciler.providers.acd.tenant",
        "reconciler.providers.acd.wire",
        "reconciler.emulator.acd",
    ],
)
def test_all_lists_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert [n for n in exported if not hasattr(module, n)] == []
    defined = [
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == name
    ]
    assert [n for n in defined if n not in exported] == []
