"""Risk flags are the plan's (engine/risks.py): every format shows the same ones, JSON included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.engine.plan import Change, FieldChange, Plan
from reconciler.engine.render import render_json, render_markdown, render_text
from reconciler.engine.risks import risks

SCHEDULE = FieldChange("schedule.timezone", "UTC", "Europe/Paris")
DNC = FieldChange("dnc.enforceLocal", True, False)
PACING = FieldChange("pacing.callsPerMinute", 10, 20)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (Change("A", None, ("create", "start"), (SCHEDULE,)), ("starts dialing",)),
        (Change("B", "id-B", ("update",), (PACING,)), ()),
        (
            Change("C", "id-C", ("stop", "update", "start"), (SCHEDULE, DNC)),
            ("restarts live dialing", "changes compliance fields: dnc, schedule"),
        ),
        (Change("D", "id-D", ("stop",)), ("stops live dialing",)),
        (Change("E", "id-E", ("stop", "delete")), ("stops live dialing", "deletes the campaign")),
        (Change("F", "id-F", ("delete",)), ("deletes the campaign",)),
        (Change("G", "id-G", ("update",), (DNC,)), ("changes compliance fields: dnc",)),
    ],
)
def test_the_risk_policy(change: Change, expected: tuple[str, ...]) -> None:
    assert risks(change) == expected


PLAN = Plan(
    "https://t",
    (
        Change("A", None, ("create", "start"), (SCHEDULE,)),
        Change("B", "id-B", ("update",), (PACING,)),
        Change("C", "id-C", ("stop", "update", "start"), (SCHEDULE, DNC)),
    ),
    unchanged=2,
    versions={"B": 3, "C": 4},
)


def test_the_json_plan_lists_each_changes_risks_after_its_fields() -> None:
    data: dict[str, Any] = json.loads(render_json(PLAN))
    assert [list(c) for c in data["changes"]] == [["name", "campaignId", "actions", "fields", "risks"]] * 3
    assert [c["risks"] for c in data["changes"]] == [
        ["starts dialing"],
        [],
        ["restarts live dialing", "changes compliance fields: dnc, schedule"],
    ]
    assert list(data) == ["formatVersion", "target", "fingerprint", "changes", "summary", "warnings"]


def test_risks_change_neither_the_fingerprint_nor_the_saved_plan() -> None:
    data = json.loads(render_json(PLAN))
    assert data["fingerprint"] == PLAN.fingerprint
    saved = PLAN.to_json(saved=True)
    assert all("risks" not in c for c in saved["changes"])
    assert Plan.from_json(json.loads(json.dumps(saved))).fingerprint == PLAN.fingerprint


def test_text_markdown_and_json_show_the_same_risks() -> None:
    text = render_text(PLAN)
    markdown = render_markdown(PLAN)
    flagged = {c["name"]: c["risks"] for c in json.loads(render_json(PLAN))["changes"]}
    for change in PLAN.changes:
        for risk in flagged[change.name]:
            assert f"    ! {risk}" in text
        if flagged[change.name]:
            assert f"**{change.name}**: {'; '.join(flagged[change.name])}" in markdown
        else:
            assert f"**{change.name}**:" not in markdown


def test_plan_renderers_by_format_name() -> None:
    from reconciler.engine.render import PLAN_RENDERERS

    assert list(PLAN_RENDERERS) == ["text", "markdown", "json"]
    assert PLAN_RENDERERS["text"](PLAN) == render_text(PLAN)
    assert PLAN_RENDERERS["markdown"](PLAN) == render_markdown(PLAN)
    assert json.loads(PLAN_RENDERERS["json"](PLAN))["fingerprint"] == PLAN.fingerprint
