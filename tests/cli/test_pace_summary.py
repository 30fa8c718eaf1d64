"""pace and summary through the CLI against the emulator, whose dialer is staged per campaign."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.app import build
from reconciler.emulator.dialer import DialerModel, Profile
from reconciler.emulator.faults import Faults
from reconciler.emulator.store import Lifecycle
from reconciler.engine.diff import Desired
from reconciler.pacer import watch
from reconciler.pacing import PaceResult, Skipped
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.spec.loader import load
from tests.conftest import Tenant, client_for, served, spawned
from tests.fakes import FakeTime
from tests.specs import spec_text, write_spec

ADAPTIVE = """\
  adaptivePacing:
    interval: 1s
    cooldown: 0s
    minCallsPerMinute: 5
    maxCallsPerMinute: 25
    rules:
      - when: {answerRate: {gte: 0.35}}
        set: {callsPerMinute: 25}
      - when: {answerRate: {lt: 0.175}}
        set: {callsPerMinute: 5}
"""
PROFILES = (
    Profile("Low-*", answer_rate=0.1),
    Profile("High-*", answer_rate=0.5),
    Profile("Spiky-*", answer_rate=0.5, abandon_rate=0.08),
)


@pytest.fixture
def staged(tmp_path: Path) -> Iterator[tuple[Tenant, Path, FakeTime]]:
    """Four running campaigns and one stopped, applied an hour ago on a frozen clock."""
    specs = tmp_path / "campaigns"
    specs.mkdir()
    write_spec(
        specs,
        "paced.yaml",
        spec_text("Low-Answer", "running", cpm=10, extra=ADAPTIVE),
        spec_text("High-Answer", "running", cpm=10, extra=ADAPTIVE),
        spec_text("Spiky-Abandon", "running", cpm=20, extra=ADAPTIVE),
        spec_text("Idle-Stopped", "stopped", cpm=10, extra=ADAPTIVE),
        spec_text("Plain", "running", cpm=10),
    )
    clock = FakeTime()
    emulator = build(
        ":memory:", clock=clock.wall, lifecycle=Lifecycle(1, 1, 1), dialer=DialerModel(profiles=PROFILES)
    )
    for loaded in load([str(specs)]).campaigns:
        desired = Desired.from_spec(loaded.campaign)
        definition = dict(desired.definition)
        row = emulator.store.create(definition.pop("name"), definition, None)
        if desired.running:
            emulator.store.start(row, None)
    clock.advance(3600)
    with served(emulator) as tenant:
        yield tenant, specs, clock


def cpm(tenant: Tenant, name: str) -> int:
    value = tenant.campaigns()[name]["pacing"]
    assert isinstance(value, dict)
    return int(value["callsPerMinute"])


def test_pace_patches_what_the_rules_and_the_guard_ask_and_nothing_else(
    staged: tuple[Tenant, Path, FakeTime],
) -> None:
    tenant, specs, _ = staged
    code, out = tenant.run("pace", "--format", "json", str(specs))
    assert code == 0, out
    decisions = {d["name"]: d for d in json.loads(out)["decisions"]}
    assert set(decisions) == {"Low-Answer", "High-Answer", "Spiky-Abandon"}
    assert decisions["Low-Answer"]["to"]["callsPerMinute"] == 5
    assert decisions["High-Answer"]["to"]["callsPerMinute"] == 25
    assert decisions["Spiky-Abandon"]["to"]["callsPerMinute"] == 15
    assert "above the 3.0% cap" in decisions["Spiky-Abandon"]["reason"]
    assert all(d["applied"] for d in decisions.values())
    assert set(decisions["Low-Answer"]) == {"name", "campaignId", "from", "to", "reason", "applied"}
    assert (cpm(tenant, "Low-Answer"), cpm(tenant, "High-Answer"), cpm(tenant, "Spiky-Abandon")) == (
        5,
        25,
        15,
    )
    assert cpm(tenant, "Idle-Stopped") == 10 and cpm(tenant, "Plain") == 10
    patches = {k: v for k, v in tenant.emulator.requests.items() if k.startswith("PATCH")}
    assert sum(patches.values()) == 3
    assert sum(v for k, v in tenant.emulator.requests.items() if k.endswith("/realtime")) == 3


def test_dry_run_patches_nothing(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    code, out = tenant.run("pace", "--dry-run", str(specs))
    assert code == 0
    assert "Low-Answer: 10 -> 5 calls/min [not applied]" in out and "(dry run)" in out
    assert tenant.mutations() == 0


def split_run(tenant: Tenant, *args: str) -> tuple[int, str, str]:
    """The CLI against the tenant: exit code, stdout and stderr apart."""
    result = CliRunner().invoke(main, list(args), env=tenant.env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_failing_realtime_call_leaves_that_campaign_untouched_and_pace_exits_1(
    staged: tuple[Tenant, Path, FakeTime],
) -> None:
    tenant, specs, _ = staged
    low_id = tenant.campaigns()["Low-Answer"]["id"]
    tenant.emulator.faults = Faults(broken=(f"/api/campaigns/{low_id}/realtime",))
    code, out, err = split_run(tenant, "pace", "--format", "json", str(specs))
    assert code == 1
    decisions = {d["name"]: d for d in json.loads(out)["decisions"]}
    assert decisions["Low-Answer"]["applied"] is False
    assert "left alone: realtime unavailable" in decisions["Low-Answer"]["reason"]
    assert decisions["Low-Answer"]["error"].startswith("realtime: ")
    assert cpm(tenant, "Low-Answer") == 10
    assert cpm(tenant, "High-Answer") == 25 and decisions["High-Answer"]["applied"] is True
    assert all("error" not in d for n, d in decisions.items() if n != "Low-Answer")
    assert "error: could not pace 1 of 3 campaign(s)" in err and "Low-Answer: realtime: " in err
    assert "hint: the other campaigns were paced" in err


def test_a_failing_patch_is_reported_and_pace_exits_1(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    high_id = tenant.campaigns()["High-Answer"]["id"]
    tenant.emulator.faults = Faults(broken=(f"/api/campaigns/{high_id}",))
    code, out, err = split_run(tenant, "pace", str(specs))
    assert code == 1
    assert "High-Answer: 10 -> 25 calls/min [failed]: rule 1: answerRate" in out
    assert "Low-Answer: 10 -> 5 calls/min [applied]" in out
    assert cpm(tenant, "High-Answer") == 10 and cpm(tenant, "Low-Answer") == 5
    assert "error: could not pace 1 of 3 campaign(s)" in err and "High-Answer: PATCH: " in err


def test_a_round_where_every_campaign_was_paced_exits_0(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    code, out, err = split_run(tenant, "pace", str(specs))
    assert code == 0, err
    assert out.startswith(f"Target: {tenant.url}") and "[failed]" not in out and "error" not in err


def test_watch_makes_rounds_at_the_interval(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    code, out = tenant.run("pace", "--watch", "--rounds", "2", "--format", "json", str(specs))
    assert code == 0, out
    entries = [json.loads(line) for line in out.splitlines()]
    by_name: dict[str, list[dict[str, object]]] = {}
    for entry in entries:
        by_name.setdefault(str(entry["name"]), []).append(entry)
    assert {n: len(e) for n, e in by_name.items()} == {
        "Low-Answer": 2,
        "High-Answer": 2,
        "Spiky-Abandon": 2,
        "Idle-Stopped": 2,
    }
    assert by_name["Idle-Stopped"][0]["skipped"] == "not running (STOPPED)"
    spiky = by_name["Spiky-Abandon"]
    assert [s["to"]["callsPerMinute"] for s in spiky] == [15, 11]  # type: ignore[index]
    assert [s["applied"] for s in spiky] == [True, True]


def test_watch_stops_cleanly_on_ctrl_c(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    with spawned(["pace", "--watch", str(specs)], tenant.env) as process:
        assert process.stdout is not None
        assert "Watching pacing on" in process.stdout.readline()
        process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out.rstrip().endswith("pace stopped")


def test_summary_figures_equal_the_emulators_statistics(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    code, out = tenant.run("summary", "--format", "json", str(specs))
    assert code == 0
    report = json.loads(out)
    store = tenant.emulator.store
    for row in report["campaigns"]:
        live = store.by_name(row["name"])
        assert live is not None
        expected = store.statistics(live)
        assert {k: row[k] for k in expected} == expected
        assert row["campaignId"] == live.id and row["status"] == store.view(live)["status"]
    assert [r["name"] for r in report["campaigns"]] == sorted(
        ["Low-Answer", "High-Answer", "Spiky-Abandon", "Idle-Stopped", "Plain"]
    )
    high = next(r for r in report["campaigns"] if r["name"] == "High-Answer")
    assert high["totalCalls"] == 599  # an hour at 10/min, less the 2 s of QUEUED and INITIALIZING
    assert report["totals"]["totalCalls"] == sum(r["totalCalls"] for r in report["campaigns"])
    spiky = next(r for r in report["campaigns"] if r["name"] == "Spiky-Abandon")
    assert spiky["overAbandonCap"] is True


def test_summary_as_csv_table_and_markdown(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, _ = staged
    code, out = tenant.run("summary", "--format", "csv", str(specs))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert list(rows[0]) == [
        "name",
        "campaignId",
        "status",
        "totalCalls",
        "answered",
        "abandoned",
        "avgTalkTime",
        "connectRate",
    ]
    assert len(rows) == 5
    code, out = tenant.run("summary", str(specs))
    assert f"Target: {tenant.url}" in out
    assert "total (5)" in out
    assert "8.0% > 3% cap !" in out
    code, out = tenant.run("summary", "--format", "markdown", str(specs))
    assert out.startswith("### Campaign performance")
    assert ":warning:" in out and "**total (5)**" in out


async def test_watch_rides_out_an_outage_at_start_up(staged: tuple[Tenant, Path, FakeTime]) -> None:
    tenant, specs, clock = staged
    emulator = tenant.emulator
    emulator.faults = Faults(broken=("/api/campaigns",))
    rules = [c.campaign for c in load([str(specs)]).campaigns if c.name == "High-Answer"]
    reports: list[PaceResult | Skipped] = []

    def report(entry: PaceResult | Skipped) -> None:
        reports.append(entry)
        emulator.faults = Faults()  # the outage ends after the first round

    async with client_for(emulator, clock) as client:
        await watch(
            CampaignsTenant(client),
            rules,
            dry_run=False,
            runtime=clock.runtime,
            report=report,
            stop=asyncio.Event(),
            rounds=2,
        )
    assert len(reports) == 2
    first, second = reports
    assert isinstance(first, Skipped) and first.reason.startswith("API error, retrying next round")
    assert isinstance(second, PaceResult) and second.applied and not second.failed
    assert cpm(tenant, "High-Answer") == 25


def test_summary_fail_over_cap_exits_1_after_the_report_naming_the_campaigns(
    staged: tuple[Tenant, Path, FakeTime],
) -> None:
    tenant, specs, _ = staged
    code, out, err = split_run(tenant, "summary", "--fail-over-cap", "--format", "json", str(specs))
    assert code == 1
    report = json.loads(out)
    over = [r["name"] for r in report["campaigns"] if r["overAbandonCap"]]
    assert over == ["Spiky-Abandon"]
    assert "error: 1 campaign(s) over their abandon-rate cap" in err
    assert "Spiky-Abandon 8.0% > 3.0%" in err and "Low-Answer" not in err
    assert "hint: " in err


def test_summary_fail_over_cap_exits_0_when_every_campaign_is_under_its_cap(
    staged: tuple[Tenant, Path, FakeTime], tmp_path: Path
) -> None:
    tenant, specs, _ = staged
    only = tmp_path / "only"
    only.mkdir()
    write_spec(only, "low.yaml", spec_text("Low-Answer", "running", cpm=10, extra=ADAPTIVE))
    code, out, err = split_run(tenant, "summary", "--fail-over-cap", str(only))
    assert code == 0, err
    assert "Low-Answer" in out and "total (1)" in out
    code, _, _ = split_run(tenant, "summary", str(specs))
    assert code == 0  # without the flag, over the cap is only flagged
