"""drift.detect and its renderers, on plain values (no tenant)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from reconciler.engine.diff import Desired
from reconciler.engine.drift import Kind, detect
from reconciler.engine.drift_render import render_json, render_markdown, render_text
from reconciler.spec.models import Campaign
from reconciler.tenant import LiveCampaign, Status
from tests.specs import spec_text


def desired(name: str = "Alpha", state: str = "running") -> Desired:
    return Desired.from_spec(Campaign.model_validate(yaml.safe_load(spec_text(name, state))))


def live(d: Desired, status: Status, **changes: Any) -> LiveCampaign:
    definition = {**d.definition, **changes}
    return LiveCampaign(id="CMP-1", name=d.name, status=status, revision=1, definition=definition)


def test_a_completed_campaign_whose_spec_says_running_is_not_drift() -> None:
    # plan does not restart a dialled-out campaign, so drift does not report it
    d = desired()
    assert not detect([d], [live(d, Status.COMPLETED)], target="t").has_drift


def test_a_stopping_campaign_whose_spec_says_stopped_is_not_drift() -> None:
    d = desired(state="stopped")
    assert not detect([d], [live(d, Status.STOPPING)], target="t").has_drift


def test_a_locked_field_of_a_running_campaign_is_field_drift_not_state_drift() -> None:
    d = desired()
    changed = live(d, Status.RUNNING, dialerType="PREVIEW")
    (found,) = detect([d], [changed], target="t").drift
    assert found.kind is Kind.CHANGED
    assert [(f.path, f.expected, f.live) for f in found.fields] == [("dialerType", "PREDICTIVE", "PREVIEW")]
    assert not found.compliance


def test_a_label_changed_live_is_drift_by_its_key() -> None:
    d = desired()
    changed = live(d, Status.RUNNING, labels={**d.definition["labels"], "team": "ops"})
    (found,) = detect([d], [changed], target="t").drift
    assert [(f.path, f.expected, f.live) for f in found.fields] == [("labels.team", "sales", "ops")]


def test_an_unowned_campaign_not_named_by_a_spec_is_not_drift_and_not_managed() -> None:
    d = desired()
    stranger = LiveCampaign("CMP-2", "Other", Status.STOPPED, 1, {**d.definition, "labels": {}})
    report = detect([d], [live(d, Status.RUNNING), stranger], target="t")
    assert not report.has_drift
    assert (report.managed, report.live) == (1, 2)
    assert report.coverage == "1 of 2 live campaigns are managed"


def test_renderers_agree_on_no_drift() -> None:
    report = detect([], [], target="sandbox x")
    assert json.loads(render_json(report)) == {
        "formatVersion": 1,
        "target": "sandbox x",
        "drift": [],
        "coverage": {"managed": 0, "live": 0},
    }
    assert "No drift." in render_text(report)
    assert "**No drift.**" in render_markdown(report)


def test_markdown_stays_under_the_issue_limit_and_says_what_it_left_out() -> None:
    wanted = [desired(f"Campaign-{i:04d}") for i in range(400)]
    lives = [live(d, Status.RUNNING, description="x" * 900) for d in wanted]
    body = render_markdown(detect(wanted, lives, target="t"))
    assert len(body) < 65_536
    assert "more campaign(s) not shown" in body
    assert "| … and 200 more | | | |" in body


def test_text_escapes_line_breaks_and_bidi_controls_in_tenant_values() -> None:
    d = desired()
    report = detect([d], [live(d, Status.RUNNING, description="a\nb\u202ec")], target="t")
    text = render_text(report)
    assert "expected test campaign, live a\\nb\\u202ec" in text
