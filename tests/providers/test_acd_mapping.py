"""cxone-acd.md section 8, row by row: the provider against the ACD emulator, every quirk on.

Each row of ``mapping.MAPPING`` has a case here (a test checks none is
missing); an "N" row is an error the provider raises naming the field and
what to write instead, and ``check`` finds it before any write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from reconciler.emulator.acd import AcdEmulator
from reconciler.engine.diff import field_changes
from reconciler.providers.acd import AcdTenant
from reconciler.providers.acd.mapping import MAPPING, check
from reconciler.providers.acd.tenant import Unsupported
from reconciler.tenant import FieldChange, LiveCampaign, Status
from tests.acd_support import definition, emulator, tenant_for
from tests.fakes import FakeTime

Case = Callable[[AcdTenant, AcdEmulator, FakeTime], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(field: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[field] = fn
        return fn

    return register


async def created(tenant: AcdTenant, name: str = "rc-table", **overrides: Any) -> LiveCampaign:
    wanted = definition(name, **overrides)
    return await tenant.create(name, field_changes(None, wanted), attempt=f"test/{name}")


async def change(tenant: AcdTenant, live: LiveCampaign, *fields: FieldChange) -> LiveCampaign:
    return await tenant.update(live.id, fields, revision=live.revision)


def skill(emu: AcdEmulator, live: LiveCampaign) -> dict[str, Any]:
    found = emu.state.get("skill", live.id)
    assert found is not None
    return found


async def refused(coro: Awaitable[object], field: str, instead: str) -> None:
    with pytest.raises(Unsupported) as caught:
        await coro
    paths = [f.path for f in caught.value.findings]
    assert field in paths, paths
    assert instead in str(caught.value)


@case("name")
async def _name(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant, "rc-renewals-q3")
    assert skill(emu, live)["skillName"] == "rc-renewals-q3"
    assert live.name == "rc-renewals-q3" and live.owned
    long = "rc-" + "x" * 28
    await refused(created(tenant, long), "metadata.name", "shorten it")
    assert emu.requests["POST /inContactAPI/services/v34.0/skills"] == 1


@case("description")
async def _description(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await change(
        tenant, await created(tenant), FieldChange("description", "outbound renewals", "winback")
    )
    assert skill(emu, live)["notes"] == "winback"
    assert live.definition["description"] == "winback"


@case("labels")
async def _labels(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    live = await change(
        tenant, live, FieldChange("labels.team", "sales", "ops"), FieldChange("labels.tier", None, "1")
    )
    names = {(emu.state.get("tag", i) or {})["tagName"] for i in skill(emu, live)["_tags"]}
    assert names == {"managed-by=cxone-reconciler", "team=ops", "tier=1"}
    assert live.labels == {"managed-by": "cxone-reconciler", "team": "ops", "tier": "1"}


@case("dialerType.PROGRESSIVE")
async def _progressive(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert skill(emu, live)["_general"]["maximumRatio"] == 1
    assert skill(emu, live)["outboundStrategy"] == "Personal Connection"
    assert live.definition["dialerType"] == "PROGRESSIVE"
    await refused(
        change(tenant, live, FieldChange("acd.maximumRatio", 1, 3)),
        "acd.maximumRatio",
        "dialerType: PREDICTIVE",
    )


@case("dialerType.PREDICTIVE")
async def _predictive(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await change(tenant, await created(tenant), FieldChange("dialerType", "PROGRESSIVE", "PREDICTIVE"))
    assert skill(emu, live)["_general"]["maximumRatio"] == 2
    assert live.definition["dialerType"] == "PREDICTIVE"


async def test_predictive_needs_the_business_unit_to_allow_it() -> None:
    clock = FakeTime()
    emu = emulator(clock, allow_predictive=False)
    async with tenant_for(emu, clock) as tenant:
        live = await created(tenant)
        await refused(
            change(tenant, live, FieldChange("dialerType", "PROGRESSIVE", "PREDICTIVE")),
            "dialerType",
            "write dialerType: PROGRESSIVE",
        )


@case("dialerType.PREVIEW")
async def _preview(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await change(tenant, await created(tenant), FieldChange("dialerType", "PROGRESSIVE", "PREVIEW"))
    assert skill(emu, live)["_preferences"]["confirmationRequiredDisabled"] is False
    assert live.definition["dialerType"] == "PREVIEW"
    live = await change(tenant, live, FieldChange("dialerType", "PREVIEW", "PROGRESSIVE"))
    assert skill(emu, live)["_preferences"]["confirmationRequiredDisabled"] is True
    assert live.definition["dialerType"] == "PROGRESSIVE"


@case("dialerType.AGENTLESS")
async def _agentless(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    to_agentless = FieldChange("dialerType", "PROGRESSIVE", "AGENTLESS")
    await refused(change(tenant, live, to_agentless), "acd.scriptId", "spec.acd.scriptId")
    live = await change(
        tenant,
        live,
        to_agentless,
        FieldChange("acd.scriptId", None, 4242),
        FieldChange("pacing.maxConcurrent", None, 6),
    )
    found = skill(emu, live)
    assert (found["agentless"], found["agentlessPorts"], found["scriptId"]) == (True, 6, 4242)
    assert live.definition["dialerType"] == "AGENTLESS"
    assert live.definition["pacing"] == {"callsPerMinute": None, "maxConcurrent": 6}
    await refused(
        change(tenant, live, FieldChange("pacing.maxConcurrent", 6, 12)), "pacing.maxConcurrent", "1 to 10"
    )


@case("acd.campaign")
async def _campaign(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert live.definition["acd"]["campaign"] == "Default Campaign"
    live = await change(tenant, live, FieldChange("acd.campaign", "Default Campaign", "Renewals 2025"))
    assert [c["name"] for c in emu.state.all("campaign")] == ["Default Campaign", "Renewals 2025"]
    assert live.definition["acd"]["campaign"] == "Renewals 2025"


@case("contactListId")
async def _contact_list(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert live.definition["contactListId"] == "Enterprise-Q3"
    live = await change(tenant, live, FieldChange("contactListId", "Enterprise-Q3", "SMB-Renewals"))
    assert live.definition["contactListId"] == "SMB-Renewals"
    assert live.status == Status.STOPPED  # uploads never start the skill (startSkill false)
    with pytest.raises(Exception, match="gave no records"):
        await change(tenant, live, FieldChange("contactListId", "SMB-Renewals", "Empty-List"))
    info = await tenant.contact_list("SMB-Renewals")
    assert info is not None and (info.name, info.record_count, info.dnc_compliant) == (
        "SMB-Renewals",
        40,
        True,
    )
    assert await tenant.contact_list("nope") is None


@case("dnc.listIds")
async def _dnc_lists(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    live = await change(
        tenant, live, FieldChange("dnc.listIds", ["Internal-Opt-Outs"], ["Internal-Opt-Outs", "Litigators"])
    )
    scrubbed = {g["dncGroupName"] for g in emu.state.all("dnc_group") if int(live.id) in g["skills"]}
    assert scrubbed == {"Internal-Opt-Outs", "Litigators", "Tenant-DNC"}
    assert live.definition["dnc"]["listIds"] == ["Internal-Opt-Outs", "Litigators"]
    assert await tenant.dnc_list("Litigators") is not None and await tenant.dnc_list("nope") is None
    await refused(
        change(tenant, live, FieldChange("dnc.listIds", ["Internal-Opt-Outs", "Litigators"], ["Tenant-DNC"])),
        "dnc.listIds",
        "dnc.enforceLocal: true",
    )


@case("dnc.enforceLocal")
async def _enforce_local(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert live.definition["dnc"]["enforceLocal"] is True
    live = await change(tenant, live, FieldChange("dnc.enforceLocal", True, False))
    tenant_group = next(g for g in emu.state.all("dnc_group") if g["dncGroupName"] == "Tenant-DNC")
    assert int(live.id) not in tenant_group["skills"]
    assert live.definition["dnc"]["enforceLocal"] is False


async def test_enforce_local_is_refused_until_the_tenant_dnc_group_is_named() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock, tenant_dnc_group=None) as tenant:
        await refused(created(tenant), "dnc.enforceLocal", "CXONE_ACD_TENANT_DNC_GROUP")


@case("dnc.enforceNational")
async def _enforce_national(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    wanted = definition("rc-national", dnc={"enforceNational": True, "enforceLocal": True, "listIds": []})
    assert [f.path for f in check(wanted, tenant_dnc_group="Tenant-DNC")] == ["dnc.enforceNational"]
    await refused(
        tenant.create("rc-national", field_changes(None, wanted), attempt="n"),
        "dnc.enforceNational",
        "spec.acd.callSuppressionScriptId",
    )
    assert emu.state.all("skill") == []
    live = await created(tenant)
    live = await change(tenant, live, FieldChange("acd.callSuppressionScriptId", None, 77))
    assert skill(emu, live)["callSuppressionScriptId"] == 77


@case("pacing.callsPerMinute")
async def _calls_per_minute(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    wanted = definition("rc-cpm", pacing={"callsPerMinute": 60, "maxConcurrent": None})
    assert [f.path for f in check(wanted, tenant_dnc_group="Tenant-DNC")] == ["pacing.callsPerMinute"]
    await refused(
        created(tenant, "rc-cpm", pacing=wanted["pacing"]), "pacing.callsPerMinute", "spec.acd.maximumRatio"
    )
    live = await created(tenant)
    faster = FieldChange("pacing.callsPerMinute", None, 30)
    await refused(change(tenant, live, faster), "pacing.callsPerMinute", "maximumRatio")


@case("pacing.maxConcurrent")
async def _max_concurrent(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await refused(
        change(tenant, live, FieldChange("pacing.maxConcurrent", None, 20)),
        "pacing.maxConcurrent",
        "spec.acd.maxConcurrentCallsPerAgent",
    )


@case("schedule.windows")
async def _windows(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    weekdays = [{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "20:00"}]
    await refused(
        change(
            tenant, live, FieldChange("schedule.windows", live.definition["schedule"]["windows"], weekdays)
        ),
        "schedule.windows",
        "SAT, SUN have no window",
    )
    split = [
        {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "08:00", "end": "20:00"},
        {"days": ["SAT", "SUN"], "start": "10:00", "end": "14:00"},
    ]
    live = await change(tenant, live, FieldChange("schedule.windows", None, split))
    assert skill(emu, live)["_schedule"]["saturdayStartTime"] == "10:00"
    assert live.definition["schedule"]["windows"] == split
    live = await change(tenant, live, FieldChange("schedule", live.definition["schedule"], None))
    assert live.definition["schedule"] is None and skill(emu, live)["_schedule"]["isScheduled"] is False
    odd = [{"days": ["SAT", "SUN", "MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "20:00"}]
    found = check(
        definition("x", schedule={"timeZone": "America/New_York", "windows": odd}), tenant_dnc_group="T"
    )
    assert [f.path for f in found] == ["schedule.windows"] and "MON/TUE/WED/THU/FRI/SAT/SUN" in found[
        0
    ].message


@case("schedule.timeZone")
async def _time_zone(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert live.definition["schedule"]["timeZone"] == "America/New_York"
    await refused(
        change(tenant, live, FieldChange("schedule.timeZone", "America/New_York", "Europe/London")),
        "schedule.timeZone",
        "write schedule.timeZone: America/New_York",
    )


async def test_a_business_unit_zone_that_is_not_iana_must_be_configured() -> None:
    clock = FakeTime()
    emu = emulator(clock, default_time_zone="Eastern Standard Time")
    async with tenant_for(emu, clock) as tenant:
        with pytest.raises(Exception, match="CXONE_ACD_SCHEDULE_TIMEZONE"):
            await created(tenant)
    async with tenant_for(emu, clock, schedule_time_zone="America/New_York") as tenant:
        assert (await created(tenant)).definition["schedule"]["timeZone"] == "America/New_York"


@case("acd.timeZones")
async def _contact_zones(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    zones = [{"standardName": "Eastern Standard Time", "startTime": "08:00", "endTime": "21:00"}]
    live = await change(
        tenant, live, FieldChange("acd.timeZones", live.definition["acd"]["timeZones"], zones)
    )
    assert live.definition["acd"]["timeZones"] == zones
    assert skill(emu, live)["_timeZones"][0]["timeZoneActiveToCall"] is True


@case("state.running")
async def _running(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await tenant.start(live.id)
    assert (await tenant.campaign(live.id)).status == Status.INITIALIZING  # 202, isRunning not flipped yet
    clock.advance(5)
    assert (await tenant.campaign(live.id)).status == Status.RUNNING


@case("state.stopped")
async def _stopped(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await tenant.start(live.id)
    clock.advance(5)
    await tenant.stop(live.id)
    assert (await tenant.campaign(live.id)).status == Status.STOPPING
    clock.advance(5)
    assert (await tenant.campaign(live.id)).status == Status.STOPPED


@case("delete")
async def _delete(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await tenant.delete(live.id, revision=live.revision)
    assert skill(emu, live)["isActive"] is False
    clock.advance(10)
    assert [c.name for c in await tenant.campaigns()] == []
    again = await created(tenant)  # a deactivated skill of the name is brought back, not clashed with
    assert again.id == live.id and skill(emu, again)["isActive"] is True


def _retry_case(key: str, old: int, new: int) -> Case:
    async def run(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
        live = await change(tenant, await created(tenant), FieldChange(f"acd.{key}", old, new))
        assert emu.state.get("skill", live.id)["_general"][key] == new  # type: ignore[index]
        assert live.definition["acd"][key] == new

    return run


CASES["acd.maximumAttempts"] = _retry_case("maximumAttempts", 3, 7)
CASES["acd.minimumRetryMinutes"] = _retry_case("minimumRetryMinutes", 60, 90)
CASES["acd.maximumRingingDuration"] = _retry_case("maximumRingingDuration", 25, 18)
CASES["acd.maxConcurrentCallsPerAgent"] = _retry_case("maxConcurrentCallsPerAgent", 1, 3)


@case("acd.abandonRateThreshold")
async def _abandon(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    assert live.definition["acd"]["abandonRateThreshold"] is None  # the business unit's applies
    live = await change(tenant, live, FieldChange("acd.abandonRateThreshold", None, 2.5))
    general = skill(emu, live)["_general"]
    assert (general["abandonRateThreshold"], general["overrideBusinessUnitAbandonRate"]) == (2.5, True)
    assert live.definition["acd"]["abandonRateThreshold"] == 2.5
    too_high = FieldChange("acd.abandonRateThreshold", 2.5, 120)
    await refused(change(tenant, live, too_high), "acd.abandonRateThreshold", "from 0 to 99.9")


@case("acd.maximumRatio")
async def _ratio(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await change(tenant, await created(tenant), FieldChange("dialerType", "PROGRESSIVE", "PREDICTIVE"))
    live = await change(tenant, live, FieldChange("acd.maximumRatio", 2, 3))
    assert skill(emu, live)["_general"]["maximumRatio"] == 3
    assert live.definition["dialerType"] == "PREDICTIVE"
    await refused(
        change(tenant, live, FieldChange("acd.maximumRatio", 3, 1)), "acd.maximumRatio", "write 2 or 3"
    )


@case("statistics")
async def _statistics(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await tenant.start(live.id)
    clock.advance(3 + 600)
    stats = await tenant.statistics(live.id)
    assert stats.total_calls == 100  # 10 a minute for 10 minutes
    assert 0 < stats.answered < stats.total_calls and stats.avg_talk_time > 0
    assert stats.connect_rate == round(stats.answered / stats.total_calls, 4)


@case("realtime")
async def _realtime(tenant: AcdTenant, emu: AcdEmulator, clock: FakeTime) -> None:
    live = await created(tenant)
    await tenant.start(live.id)
    clock.advance(3 + 600)
    now = await tenant.realtime(live.id)
    assert now.active_calls > 0 and now.total_calls == 100 and 0 < now.answer_rate < 1


def test_every_row_of_the_mapping_has_a_case() -> None:
    assert sorted(CASES) == sorted(row.field for row in MAPPING)
    assert {row.field for row in MAPPING if row.status == "N"} == {
        "dnc.enforceNational",
        "pacing.callsPerMinute",
        "schedule.timeZone",
    }


@pytest.mark.parametrize("field", sorted(CASES))
async def test_mapping_row(field: str) -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock) as tenant:
        await CASES[field](tenant, emu, clock)
