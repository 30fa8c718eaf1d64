"""The pure core: diff, plan values, safety, renderers. No I/O."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from reconciler.cxone.models import ApiCampaign
from reconciler.engine.diff import Desired, diff, field_changes
from reconciler.engine.plan import Change, FieldChange, Launch, Plan, check_safety
from reconciler.engine.render import render_markdown, render_text
from reconciler.errors import OwnershipConflict, SafetyThreshold
from reconciler.providers.campaigns import idempotency_key, merge_patch
from reconciler.providers.campaigns import live as as_live
from reconciler.tenant import Action, LiveCampaign

OWNED = {"managed-by": "cxone-reconciler"}


def definition(name: str = "A", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "description": "d",
        "dialerType": "PREDICTIVE",
        "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
        "contactListId": "CL-1",
        "dnc": {"enforceNational": True, "enforceLocal": True, "listIds": ["DNC-A", "DNC-B"]},
        "schedule": None,
        "labels": {"team": "x", **OWNED},
    }
    return {**base, **fields}


def desired(
    name: str = "A", running: bool = True, pacing_range: tuple[int, int] | None = None, **fields: Any
) -> Desired:
    return Desired(name, definition(name, **fields), running, Launch(), pacing_range)


def live(name: str = "A", status: str = "STOPPED", version: int = 1, **fields: Any) -> LiveCampaign:
    """A live campaign as the campaigns provider reads it (its normal form included)."""
    body = {**definition(name, **fields), "id": f"CMP-{name}", "status": status, "version": version}
    return as_live(ApiCampaign.model_validate({**body, "createdAt": "t", "updatedAt": "t"}))


def test_identical_definitions_are_unchanged_whatever_the_dnc_list_order() -> None:
    current = live(dnc={"enforceNational": True, "enforceLocal": True, "listIds": ["DNC-B", "DNC-A"]})
    plan = diff([desired(running=False)], [current], target="t")
    assert plan.changes == () and plan.unchanged == 1


@pytest.mark.parametrize(
    ("running", "status", "actions"),
    [
        (True, "STOPPED", ("start",)),
        (True, "ERROR", ("start",)),
        (True, "STOPPING", ("start",)),
        (True, "QUEUED", ()),
        (True, "INITIALIZING", ()),
        (True, "RUNNING", ()),
        (True, "COMPLETED", ()),
        (False, "QUEUED", ("stop",)),
        (False, "INITIALIZING", ("stop",)),
        (False, "RUNNING", ("stop",)),
        (False, "STOPPING", ()),
        (False, "STOPPED", ()),
        (False, "ERROR", ()),
        (False, "COMPLETED", ()),
    ],
)
def test_the_lifecycle_table(running: bool, status: str, actions: tuple[str, ...]) -> None:
    plan = diff([desired(running=running)], [live(status=status)], target="t")
    assert (plan.changes[0].actions if plan.changes else ()) == actions


def test_a_completed_campaign_is_reported_not_restarted() -> None:
    plan = diff([desired()], [live(status="COMPLETED")], target="t")
    assert plan.changes == ()
    assert plan.warnings == ("A: COMPLETED (its contact list is dialled out): reported, not restarted",)


@pytest.mark.parametrize("locked", [{"dialerType": "PREVIEW"}, {"contactListId": "CL-2"}])
def test_locked_fields_of_an_active_campaign_need_a_restart(locked: dict[str, Any]) -> None:
    (change,) = diff([desired(**locked)], [live(status="RUNNING")], target="t").changes
    assert change.actions == ("stop", "update", "start")
    assert change.restarts


def test_unlocked_fields_of_an_active_campaign_update_in_place() -> None:
    (change,) = diff([desired(description="new")], [live(status="RUNNING")], target="t").changes
    assert change.actions == ("update",)
    assert merge_patch(change.update_fields()) == {"description": "new"}


def test_a_desired_stop_with_a_locked_change_stops_then_updates() -> None:
    (change,) = diff(
        [desired(running=False, dialerType="PREVIEW")], [live(status="RUNNING")], target="t"
    ).changes
    assert change.actions == ("stop", "update")


def test_adaptive_pacing_owns_calls_per_minute_inside_its_range() -> None:
    inside = diff(
        [desired(pacing_range=(5, 25))],
        [live(status="RUNNING", pacing={"callsPerMinute": 25, "maxConcurrent": 20})],
        target="t",
    )
    assert inside.changes == ()
    outside = diff(
        [desired(pacing_range=(5, 25))],
        [live(status="RUNNING", pacing={"callsPerMinute": 26, "maxConcurrent": 20})],
        target="t",
    )
    assert outside.changes[0].fields == (FieldChange("pacing.callsPerMinute", 26, 10),)


def test_adding_or_removing_a_schedule_is_one_field() -> None:
    schedule = {"timeZone": "UTC", "windows": [{"days": ["MON"], "start": "09:00", "end": "17:00"}]}
    added = field_changes(definition(), definition(schedule=schedule))
    assert added == (FieldChange("schedule", None, schedule),)
    moved = field_changes(
        definition(schedule=schedule), definition(schedule={**schedule, "timeZone": "Europe/Paris"})
    )
    assert moved == (FieldChange("schedule.timeZone", "UTC", "Europe/Paris"),)


def test_labels_not_in_the_spec_are_removed() -> None:
    (change,) = diff([desired()], [live(labels={"team": "x", "stray": "y", **OWNED})], target="t").changes
    assert change.fields == (FieldChange("labels.stray", "y", None),)
    assert merge_patch(change.update_fields()) == {"labels": {"stray": None}}


def test_label_keys_with_dots_patch_as_one_key() -> None:
    current = live(labels={"team": "x", "app.kubernetes.io/name": "old", **OWNED})
    (change,) = diff(
        [desired(labels={"team": "x", "app.kubernetes.io/name": "new", **OWNED})], [current], target="t"
    ).changes
    assert change.fields == (FieldChange("labels.app.kubernetes.io/name", "old", "new"),)
    assert merge_patch(change.update_fields()) == {"labels": {"app.kubernetes.io/name": "new"}}


def test_a_create_lists_every_field_and_its_body_rebuilds_the_definition() -> None:
    plan = diff([desired(running=True)], [], target="t")
    (change,) = plan.changes
    assert change.actions == ("create", "start")
    body = {"name": change.name, **merge_patch(change.fields)}
    expected = definition()
    expected.pop("schedule")
    assert body == expected


def test_unowned_names_are_an_ownership_conflict_unless_adopted() -> None:
    foreign = live(labels={"team": "x"})
    with pytest.raises(OwnershipConflict, match="A"):
        diff([desired()], [foreign], target="t")
    (change,) = diff([desired(running=False)], [foreign], target="t", adopt=True).changes
    assert change.actions == ("adopt",)
    assert merge_patch(change.adopt_fields()) == {"labels": {"managed-by": "cxone-reconciler"}}


def test_unowned_campaigns_without_specs_are_never_touched() -> None:
    plan = diff([], [live("Theirs", status="RUNNING", labels={})], target="t", prune=True)
    assert plan.changes == () and plan.owned == 0


def test_prune_stops_then_deletes_owned_orphans() -> None:
    plan = diff([], [live("Gone", status="RUNNING"), live("Idle")], target="t", prune=True)
    assert [(c.name, c.actions) for c in plan.changes] == [
        ("Gone", ("stop", "delete")),
        ("Idle", ("delete",)),
    ]


def test_changes_are_sorted_and_the_fingerprint_is_reproducible() -> None:
    specs = [desired(n) for n in ("C", "A", "B")]
    one = diff(specs, [], target="t")
    two = diff(list(reversed(specs)), [], target="t")
    assert [c.name for c in one.changes] == ["A", "B", "C"]
    assert one.fingerprint == two.fingerprint
    assert one.fingerprint != diff(specs, [], target="other").fingerprint


def test_actions_must_be_in_the_fixed_order() -> None:
    with pytest.raises(ValueError, match="order"):
        Change("A", None, (Action.START, Action.CREATE))


def test_a_saved_plan_round_trips_and_detects_edits() -> None:
    plan = diff([desired("A"), desired("B", description="x")], [live("B")], target="t")
    saved = plan.to_json(saved=True)
    assert Plan.from_json(json.loads(json.dumps(saved))) == plan
    saved["changes"][0]["fields"][0]["after"] = "tampered"
    with pytest.raises(ValueError, match="edited"):
        Plan.from_json(saved)
    with pytest.raises(ValueError, match="not a saved plan"):
        Plan.from_json(plan.to_json())


def test_an_idempotency_key_names_one_attempt() -> None:
    assert idempotency_key("run-1/A") == idempotency_key("run-1/A")
    assert len({idempotency_key("run-1/A"), idempotency_key("run-1/B"), idempotency_key("run-2/A")}) == 3


def test_the_owned_count_and_the_spec_count_are_inside_the_fingerprint() -> None:
    plan = diff([], [live("Gone")], target="t", prune=True)
    saved = plan.to_json(saved=True)
    for key, value in (("owned", 99), ("specs", 5)):
        edited = {**saved, key: value}
        with pytest.raises(ValueError, match="edited"):
            Plan.from_json(edited)


@pytest.mark.parametrize(
    ("owned", "risky", "refused"), [(9, 9, False), (10, 3, False), (10, 4, True), (20, 7, True)]
)
def test_the_safety_threshold(owned: int, risky: int, refused: bool) -> None:
    changes = tuple(Change(f"C{i}", f"id{i}", (Action.DELETE,)) for i in range(risky))
    plan = Plan("t", changes, owned=owned)
    if refused:
        with pytest.raises(SafetyThreshold):
            check_safety(plan, force=False)
    else:
        check_safety(plan, force=False)
    check_safety(plan, force=True)


def test_the_text_plan_names_the_target_and_risks() -> None:
    plan = diff([desired(dialerType="PREVIEW")], [live(status="RUNNING")], target="https://t")
    text = render_text(plan)
    assert text.startswith("Target: https://t")
    assert "~ A CMP-A [RUNNING]: stop, update, start" in text
    assert "! restarts live dialing" in text
    assert "dialerType: PREDICTIVE -> PREVIEW" in text
    assert text.endswith("Plan: 1 to stop, 1 to update, 1 to start, 0 unchanged.")


def test_a_huge_markdown_plan_stays_under_the_comment_limit() -> None:
    plan = diff([desired(f"Campaign-{i:04d}") for i in range(2000)], [], target="t")
    text = render_markdown(plan)
    assert len(text) < 65_536
    assert "more campaign(s) not shown" in text
    assert text.count("<details>") < 2000


def test_the_pure_core_imports_neither_httpx_nor_click() -> None:
    code = (
        "import sys; import reconciler.engine.diff, reconciler.engine.plan, reconciler.engine.render;"
        "import reconciler.pacing;"
        "bad = [m for m in ('httpx', 'click') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
