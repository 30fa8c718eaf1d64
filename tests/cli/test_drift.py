"""`reconciler drift` through the CLI against the emulator, in process on fake time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import InProcessCli
from tests.drift_helpers import edit, put, reads_only, requests, stop
from tests.specs import spec_text, write_spec

ADAPTIVE = """\
  adaptivePacing:
    minCallsPerMinute: 5
    maxCallsPerMinute: 25
"""


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    directory = tmp_path / "campaigns"
    directory.mkdir()
    write_spec(directory, "a.yaml", spec_text("Alpha", "running"), spec_text("Bravo", "stopped"))
    write_spec(directory, "c.yaml", spec_text("Charlie", "running", extra=ADAPTIVE))
    return directory


@pytest.fixture
def applied(cli: InProcessCli, specs: Path) -> Path:
    code, out = cli.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    return specs


def drift_json(cli: InProcessCli, *args: str) -> tuple[int, dict[str, object]]:
    code, out = cli.run("drift", "--format", "json", *args)
    return code, json.loads(out)


def test_no_drift_exits_0_names_the_target_and_the_coverage(cli: InProcessCli, applied: Path) -> None:
    put(cli, "Hand-Made", owned=False)
    code, out = cli.run("drift", str(applied))
    assert code == 0, out
    assert f"Target: {cli.url}" in out
    assert "No drift. The tenant matches the specs." in out
    assert "Coverage: 3 of 4 live campaigns are managed." in out


def test_the_json_report_keeps_the_contract(cli: InProcessCli, applied: Path) -> None:
    code, report = drift_json(cli, str(applied))
    assert code == 0
    assert report == {
        "formatVersion": 1,
        "target": cli.url,
        "drift": [],
        "coverage": {"managed": 3, "live": 3},
    }


def test_every_kind_is_reported_and_the_exit_code_is_2(cli: InProcessCli, applied: Path) -> None:
    edit(cli, "Alpha", description="changed in the admin UI")
    write_spec(applied, "d.yaml", spec_text("Delta"), spec_text("Echo"))
    put(cli, "Echo", owned=False)
    put(cli, "Foxtrot")  # owned, but no spec names it
    code, report = drift_json(cli, str(applied))
    assert code == 2
    ids = {n: c["id"] for n, c in cli.campaigns().items()}
    assert report["drift"] == [
        {
            "name": "Alpha",
            "campaignId": ids["Alpha"],
            "kind": "changed",
            "fields": [
                {"path": "description", "expected": "test campaign", "live": "changed in the admin UI"}
            ],
            "compliance": False,
        },
        {"name": "Delta", "campaignId": None, "kind": "missing", "fields": [], "compliance": False},
        {"name": "Echo", "campaignId": ids["Echo"], "kind": "unowned", "fields": [], "compliance": False},
        {
            "name": "Foxtrot",
            "campaignId": ids["Foxtrot"],
            "kind": "orphaned",
            "fields": [],
            "compliance": False,
        },
    ]
    assert report["coverage"] == {"managed": 4, "live": 5}


def test_the_text_report_lists_each_kind_with_what_to_do(cli: InProcessCli, applied: Path) -> None:
    edit(cli, "Alpha", pacing={"maxConcurrent": 30})
    put(cli, "Foxtrot")
    code, out = cli.run("drift", str(applied))
    assert code == 2
    assert "Drift in 2 campaign(s): 1 changed, 0 missing, 1 orphaned, 0 unowned." in out
    assert "    pacing.maxConcurrent: expected 20, live 30" in out
    assert "? Foxtrot" in out and "orphaned" in out
    assert "What to do:" in out and "apply --prune" in out


def test_pacing_inside_the_adaptive_range_is_not_drift_but_outside_it_is(
    cli: InProcessCli, applied: Path
) -> None:
    edit(cli, "Charlie", pacing={"callsPerMinute": 25})  # the pacer's business
    assert cli.run("drift", str(applied))[0] == 0
    edit(cli, "Charlie", pacing={"callsPerMinute": 26})
    code, report = drift_json(cli, str(applied))
    assert code == 2
    assert report["drift"][0]["fields"] == [  # type: ignore[index]
        {"path": "pacing.callsPerMinute", "expected": 10, "live": 26}
    ]


def test_pacing_drift_is_not_a_compliance_matter(cli: InProcessCli, applied: Path) -> None:
    edit(cli, "Alpha", pacing={"callsPerMinute": 99})
    code, report = drift_json(cli, str(applied))
    assert code == 2
    assert [(d["name"], d["compliance"]) for d in report["drift"]] == [("Alpha", False)]  # type: ignore[index, union-attr]


def test_dnc_and_schedule_drift_are_compliance_matters(cli: InProcessCli, applied: Path) -> None:
    edit(cli, "Alpha", dnc={"enforceLocal": False})
    window = {"days": ["SAT"], "start": "07:00", "end": "22:00"}
    edit(cli, "Bravo", schedule={"timeZone": "America/Chicago", "windows": [window]})
    code, report = drift_json(cli, str(applied))
    assert code == 2
    drift = {d["name"]: d for d in report["drift"]}  # type: ignore[union-attr]
    assert drift["Alpha"]["compliance"] is True
    assert drift["Alpha"]["fields"] == [{"path": "dnc.enforceLocal", "expected": True, "live": False}]
    assert drift["Bravo"]["compliance"] is True
    assert drift["Bravo"]["fields"] == [
        {"path": "schedule", "expected": None, "live": {"timeZone": "America/Chicago", "windows": [window]}}
    ]
    code, out = cli.run("drift", str(applied))
    assert "Alpha" in out and "[compliance]" in out


def test_a_live_status_that_does_not_match_the_spec_state_is_drift(cli: InProcessCli, applied: Path) -> None:
    stop(cli, "Alpha")  # spec: running
    row = cli.emulator.store.by_name("Bravo")
    assert row is not None
    cli.emulator.store.start(row, None)  # spec: stopped
    cli.clock.advance(5)
    code, report = drift_json(cli, str(applied))
    assert code == 2
    assert [(d["name"], d["fields"]) for d in report["drift"]] == [  # type: ignore[union-attr]
        ("Alpha", [{"path": "state", "expected": "running", "live": "STOPPED"}]),
        ("Bravo", [{"path": "state", "expected": "stopped", "live": "RUNNING"}]),
    ]


def test_a_campaign_in_error_shows_its_error(cli: InProcessCli, applied: Path) -> None:
    row = cli.emulator.store.by_name("Alpha")
    assert row is not None
    cli.emulator.store.start(row, {"errorCode": "DIALER_FAULT", "errorMessage": "trunk down"})
    cli.clock.advance(5)
    code, out = cli.run("drift", str(applied))
    assert code == 2
    assert "state: expected running, live ERROR" in out
    assert "note: in ERROR: DIALER_FAULT: trunk down" in out


def test_drift_sends_no_change_and_reads_only_the_campaign_list(cli: InProcessCli, applied: Path) -> None:
    edit(cli, "Alpha", description="x")
    put(cli, "Foxtrot")
    requests(cli)
    before = cli.mutations()
    for fmt in ("text", "json", "markdown"):
        assert cli.run("drift", "--format", fmt, str(applied))[0] == 2
    assert cli.mutations() == before
    assert reads_only(requests(cli))


def test_markdown_is_an_issue_body_with_a_table_and_each_campaigns_fields(
    cli: InProcessCli, applied: Path
) -> None:
    edit(cli, "Alpha", dnc={"enforceLocal": False})
    put(cli, "Foxtrot")
    code, out = cli.run("drift", "--format", "markdown", str(applied))
    assert code == 2
    assert out.startswith("### cxone-reconciler drift")
    assert "| campaign | kind | fields | compliance |" in out
    assert "| Alpha | changed | 1 | :warning: yes |" in out
    assert "| Foxtrot | orphaned | 0 | no |" in out
    assert "| dnc.enforceLocal | true | false |" in out
    assert f"Target: `{cli.url}`" in out
    assert "Coverage: 4 of 4 live campaigns are managed." in out


def test_tenant_names_cannot_inject_markup_mentions_or_terminal_controls(
    cli: InProcessCli, applied: Path
) -> None:
    put(cli, "Evil\x1b[2J<img src=x> @octocat | *bold*")
    code, out = cli.run("drift", "--format", "markdown", str(applied))
    assert code == 2
    assert "<img" not in out and "@octocat" not in out and "\x1b" not in out
    assert "&lt;img src=x&gt; @\u200boctocat \\| \\*bold\\*" in out
    code, out = cli.run("drift", str(applied))
    assert "\x1b" not in out and "Evil\\x1b[2J<img" in out


def test_the_default_path_is_campaigns(
    cli: InProcessCli, applied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(applied.parent)
    assert cli.run("drift")[0] == 0


def test_an_invalid_spec_is_an_error_exit_1_and_nothing_is_read(cli: InProcessCli, specs: Path) -> None:
    write_spec(specs, "bad.yaml", spec_text("Bad", dialer="TELEPATHIC"))
    requests(cli)
    code, out = cli.run("drift", str(specs))
    assert code == 1
    assert "bad.yaml" in out and "error" in out
    assert not requests(cli)
