"""The engine drives `provider: cxone-acd`: plan, apply through the Executor, plan again (empty).

Against the ACD emulator in process with every quirk on (throttling and
early token expiry included), each response checked against its contract.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.emulator.acd import AcdEmulator
from reconciler.engine.apply import Executor
from reconciler.engine.diff import Desired, diff
from reconciler.engine.plan import Launch, Plan
from reconciler.errors import PreconditionFailed
from reconciler.providers.acd import AcdTenant
from reconciler.tenant import Action, FieldChange, Status
from tests.acd_support import definition, emulator, tenant_for
from tests.fakes import FakeTime

LAUNCH = Launch(poll_interval=1.0, poll_jitter=0.0, timeout=60.0)


def desired(name: str, *, running: bool = False, **overrides: Any) -> Desired:
    return Desired(name=name, definition=definition(name, **overrides), running=running, launch=LAUNCH)


async def plan(tenant: AcdTenant, wanted: list[Desired], *, prune: bool = False) -> Plan:
    return diff(wanted, await tenant.campaigns(), target="acd", prune=prune)


async def apply(tenant: AcdTenant, made: Plan, clock: FakeTime) -> None:
    outcomes = await Executor(tenant, made, runtime=clock.runtime).run()
    failed = [(o.name, o.failed_action, o.error) for o in outcomes if o.error]
    assert failed == []


def statuses(emu: AcdEmulator) -> dict[str, tuple[bool, bool]]:
    """Skill name -> (active, dialing now), as the emulator holds it."""
    return {s["skillName"]: (s["isActive"], emu._running(s)) for s in emu.state.all("skill")}


async def converge(tenant: AcdTenant, wanted: list[Desired], clock: FakeTime, *, prune: bool = False) -> Plan:
    made = await plan(tenant, wanted, prune=prune)
    await apply(tenant, made, clock)
    clock.advance(10)  # past the list lag
    again = await plan(tenant, wanted, prune=prune)
    assert again.changes == (), [c.to_json() for c in again.changes]
    return made


async def test_create_update_restart_stop_and_deactivate_converge_with_every_quirk_on() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock) as tenant:
        first = [desired("rc-renewals", running=True), desired("rc-winback")]
        made = await converge(tenant, first, clock)
        assert [c.actions for c in made.changes] == [(Action.CREATE, Action.START), (Action.CREATE,)]
        assert statuses(emu) == {"rc-renewals": (True, True), "rc-winback": (True, False)}

        # an unlocked field on a running campaign: update in place, no restart
        second = [desired("rc-renewals", running=True, description="renewals, Q4"), first[1]]
        made = await converge(tenant, second, clock)
        assert [c.actions for c in made.changes] == [(Action.UPDATE,)]

        # a locked field (the schedule) on a running campaign: stop, update, start
        later = [
            {"days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "start": "10:00", "end": "19:00"}
        ]
        schedule = {"timeZone": "America/New_York", "windows": later}
        third = [
            desired("rc-renewals", running=True, description="renewals, Q4", schedule=schedule),
            first[1],
        ]
        made = await converge(tenant, third, clock)
        assert [c.actions for c in made.changes] == [(Action.STOP, Action.UPDATE, Action.START)]
        assert (
            emu.state.get("skill", made.changes[0].campaign_id or 0)["_schedule"]["mondayStartTime"]
            == "10:00"
        )  # type: ignore[index]

        # start one, stop the other
        fourth = [desired("rc-renewals", description="renewals, Q4", schedule=schedule),
                  desired("rc-winback", running=True)]  # fmt: skip
        made = await converge(tenant, fourth, clock)
        assert sorted((c.name, c.actions) for c in made.changes) == [
            ("rc-renewals", (Action.STOP,)),
            ("rc-winback", (Action.START,)),
        ]
        assert statuses(emu) == {"rc-renewals": (True, False), "rc-winback": (True, True)}

        # pruned: stopped, then deactivated (the API has no delete)
        made = await converge(tenant, [fourth[0]], clock, prune=True)
        assert [(c.name, c.actions) for c in made.changes] == [("rc-winback", (Action.STOP, Action.DELETE))]
        assert statuses(emu) == {"rc-renewals": (True, False), "rc-winback": (False, False)}
    assert emu.requests["POST /auth/token"] > 1  # tokens expired early and were replaced


async def test_apply_refuses_to_write_over_a_change_made_since_the_plan() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock) as tenant:
        await converge(tenant, [desired("rc-renewals")], clock)
        made = await plan(tenant, [desired("rc-renewals", description="new words")])
        (change,) = made.changes
        # someone edits the skill in CXone between plan and apply
        skill = emu.state.get("skill", change.campaign_id or 0)
        assert skill is not None
        emu.state.put("skill", skill["skillId"], skill | {"notes": "edited in the CXone UI"})
        with pytest.raises(PreconditionFailed, match="changed in CXone since the plan read it") as caught:
            await tenant.update(change.campaign_id or "", change.fields, revision=change.revision or 0)
        assert caught.value.code == "CHANGED_SINCE_PLAN" and "run plan again" in str(caught.value)
        outcomes = await Executor(tenant, made, runtime=clock.runtime).run()
        assert outcomes[0].error is not None and "since the plan" in outcomes[0].error
        assert emu.state.get("skill", skill["skillId"])["notes"] == "edited in the CXone UI"  # type: ignore[index]


async def test_revision_ignores_running_state_and_follows_content() -> None:
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock) as tenant:
        await converge(tenant, [desired("rc-renewals")], clock)
        (live,) = await tenant.campaigns()
        await tenant.start(live.id)
        clock.advance(5)
        running = await tenant.campaign(live.id)
        assert running.status == Status.RUNNING and running.revision == live.revision
        updated = await tenant.update(live.id, [FieldChange("description", "outbound renewals", "x")],
                                      revision=live.revision)  # fmt: skip
        assert updated.revision != live.revision
        assert copy.deepcopy(updated.definition)["description"] == "x"


async def test_a_new_skill_that_never_shows_in_the_list_is_reported_and_left_for_adopt() -> None:
    """Lists lag creates: when every lookup misses, apply says so and the skill (unowned) needs --adopt."""
    clock = FakeTime()
    emu = emulator(clock)
    async with tenant_for(emu, clock, resolve_attempts=1) as tenant:
        made = await plan(tenant, [desired("rc-slow")])
        outcomes = await Executor(tenant, made, runtime=clock.runtime).run()
        assert outcomes[0].error is not None and "not listed after 1 lookups" in outcomes[0].error
    clock.advance(10)
    async with tenant_for(emu, clock) as tenant:
        with pytest.raises(Exception, match="not managed by cxone-reconciler"):
            await plan(tenant, [desired("rc-slow")])
