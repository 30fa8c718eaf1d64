"""plan and apply end to end: the CLI against the emulator, in process on fake time (and over loopback)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from reconciler.emulator.app import build
from reconciler.emulator.faults import FailStart, Faults
from reconciler.emulator.store import Lifecycle
from tests.conftest import InProcessCli, served
from tests.specs import api_definition, spec_text, write_spec


@pytest.fixture
def tenant(cli: InProcessCli) -> InProcessCli:
    return cli


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    directory = tmp_path / "campaigns"
    directory.mkdir()
    write_spec(directory, "a.yaml", spec_text("Alpha", "running"), spec_text("Bravo", "stopped"))
    write_spec(directory, "c.yaml", spec_text("Charlie", "running", dialer="PROGRESSIVE"))
    return directory


def test_plan_changes_nothing_apply_converges_and_a_second_apply_sends_no_change(
    tenant: InProcessCli, specs: Path
) -> None:
    code, out = tenant.run("plan", str(specs))
    assert code == 0
    assert f"Target: {tenant.url}" in out
    assert "Plan: 3 to create, 2 to start, 0 unchanged." in out
    assert tenant.mutations() == 0

    code, out = tenant.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    assert "3 applied, 0 failed, 0 interrupted." in out
    live = tenant.campaigns()
    assert {n: c["status"] for n, c in live.items()} == {
        "Alpha": "RUNNING",
        "Bravo": "STOPPED",
        "Charlie": "RUNNING",
    }
    assert live["Alpha"]["labels"] == {"team": "sales", "managed-by": "cxone-reconciler"}

    before = tenant.mutations()
    code, out = tenant.run("apply", "--auto-approve", str(specs))
    assert code == 0
    assert "No changes." in out
    assert tenant.mutations() == before
    assert tenant.run("plan", "--detailed-exitcode", str(specs))[0] == 0


def test_detailed_exitcode_is_2_when_there_are_changes(tenant: InProcessCli, specs: Path) -> None:
    assert tenant.run("plan", "--detailed-exitcode", str(specs))[0] == 2


def test_the_json_plan_keeps_the_contract(tenant: InProcessCli, specs: Path) -> None:
    code, out = tenant.run("plan", "--format", "json", str(specs))
    plan = json.loads(out)
    assert code == 0
    assert set(plan) == {"formatVersion", "target", "fingerprint", "changes", "summary", "warnings"}
    assert plan["formatVersion"] == 1 and plan["target"] == tenant.url
    assert plan["fingerprint"].startswith("sha256:")
    assert plan["summary"] == {
        "create": 3,
        "adopt": 0,
        "update": 0,
        "stop": 0,
        "start": 2,
        "delete": 0,
        "unchanged": 0,
    }
    assert list(plan["summary"]) == ["create", "adopt", "update", "stop", "start", "delete", "unchanged"]
    alpha = plan["changes"][0]
    assert (alpha["name"], alpha["campaignId"], alpha["actions"]) == ("Alpha", None, ["create", "start"])
    assert {"path": "pacing.callsPerMinute", "before": None, "after": 10} in alpha["fields"]


def test_a_pacing_change_is_an_update_with_before_and_after(tenant: InProcessCli, specs: Path) -> None:
    tenant.run("apply", "--auto-approve", str(specs))
    write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=12), spec_text("Bravo", "stopped"))
    plan = json.loads(tenant.run("plan", "--format", "json", str(specs))[1])
    (change,) = plan["changes"]
    assert change["actions"] == ["update"]
    assert change["fields"] == [{"path": "pacing.callsPerMinute", "before": 10, "after": 12}]
    assert tenant.run("apply", "--auto-approve", str(specs))[0] == 0
    alpha = tenant.campaigns()["Alpha"]
    assert alpha["pacing"] == {"callsPerMinute": 12, "maxConcurrent": 20}
    assert (alpha["status"], alpha["version"]) == ("RUNNING", 2)


def test_a_locked_field_of_a_running_campaign_stops_updates_and_starts(
    tenant: InProcessCli, specs: Path
) -> None:
    tenant.run("apply", "--auto-approve", str(specs))
    write_spec(specs, "c.yaml", spec_text("Charlie", "running", dialer="PREDICTIVE"))
    code, out = tenant.run("plan", str(specs))
    assert code == 0
    assert "~ Charlie" in out and ": stop, update, start" in out
    assert "dialerType cannot change while RUNNING: stop, update, start" in out
    assert "! restarts live dialing" in out
    assert tenant.run("apply", "--auto-approve", str(specs))[0] == 0
    charlie = tenant.campaigns()["Charlie"]
    assert (charlie["dialerType"], charlie["status"]) == ("PREDICTIVE", "RUNNING")
    assert tenant.emulator.requests[f"POST /api/campaigns/{charlie['id']}/stop"] == 1


def test_desired_stopped_stops_a_running_campaign(tenant: InProcessCli, specs: Path) -> None:
    tenant.run("apply", "--auto-approve", str(specs))
    write_spec(specs, "c.yaml", spec_text("Charlie", "stopped", dialer="PROGRESSIVE"))
    plan = json.loads(tenant.run("plan", "--format", "json", str(specs))[1])
    assert [(c["name"], c["actions"]) for c in plan["changes"]] == [("Charlie", ["stop"])]
    assert tenant.run("apply", "--auto-approve", str(specs))[0] == 0
    assert tenant.campaigns()["Charlie"]["status"] == "STOPPED"


def test_pacing_inside_the_adaptive_range_is_not_drift(tenant: InProcessCli, tmp_path: Path) -> None:
    adaptive = "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25}\n"
    write_spec(tmp_path, "p.yaml", spec_text("Paced", "running", extra=adaptive))
    tenant.run("apply", "--auto-approve", str(tmp_path))
    store = tenant.emulator.store
    row = store.by_name("Paced")
    assert row is not None
    store.replace_definition(row, {**row.definition, "pacing": {"callsPerMinute": 20, "maxConcurrent": 20}})
    assert tenant.run("plan", "--detailed-exitcode", str(tmp_path))[0] == 0
    row = store.by_name("Paced")
    assert row is not None
    store.replace_definition(row, {**row.definition, "pacing": {"callsPerMinute": 40, "maxConcurrent": 20}})
    plan = json.loads(tenant.run("plan", "--format", "json", str(tmp_path))[1])
    assert plan["changes"][0]["fields"] == [{"path": "pacing.callsPerMinute", "before": 40, "after": 10}]


def test_a_spec_naming_an_unowned_campaign_is_refused_unless_adopted(
    tenant: InProcessCli, specs: Path
) -> None:
    store = tenant.emulator.store
    by_hand = api_definition("Alpha", description="made by hand", labels={"owner": "ops"})
    store.create(by_hand.pop("name"), by_hand, None)
    code, out = tenant.run("plan", str(specs))
    assert code == 3
    assert "not managed by cxone-reconciler: Alpha" in out and "--adopt" in out
    assert tenant.run("apply", "--auto-approve", str(specs))[0] == 3
    assert tenant.mutations() == 0

    plan = json.loads(tenant.run("plan", "--adopt", "--format", "json", str(specs))[1])
    alpha = next(c for c in plan["changes"] if c["name"] == "Alpha")
    assert alpha["actions"] == ["adopt", "update", "start"]
    assert {"path": "labels.managed-by", "before": None, "after": "cxone-reconciler"} in alpha["fields"]
    assert {"path": "labels.owner", "before": "ops", "after": None} in alpha["fields"]
    assert tenant.run("apply", "--adopt", "--auto-approve", str(specs))[0] == 0
    live = tenant.campaigns()["Alpha"]
    assert live["labels"] == {"team": "sales", "managed-by": "cxone-reconciler"}
    assert live["description"] == "test campaign"
    assert tenant.run("plan", "--detailed-exitcode", str(specs))[0] == 0


def test_an_owned_campaign_without_a_spec_is_deleted_only_with_prune(
    tenant: InProcessCli, specs: Path
) -> None:
    tenant.run("apply", "--auto-approve", str(specs))
    (specs / "c.yaml").unlink()
    code, out = tenant.run("plan", "--detailed-exitcode", str(specs))
    assert code == 0
    assert "Charlie: managed but no spec names it; --prune deletes it" in out
    plan = json.loads(tenant.run("plan", "--prune", "--format", "json", str(specs))[1])
    assert [(c["name"], c["actions"]) for c in plan["changes"]] == [("Charlie", ["stop", "delete"])]
    assert tenant.run("apply", "--prune", "--auto-approve", str(specs))[0] == 0
    assert "Charlie" not in tenant.campaigns()


def test_stopping_or_deleting_too_many_is_refused_without_force(tenant: InProcessCli, tmp_path: Path) -> None:
    write_spec(tmp_path, "many.yaml", *(spec_text(f"C-{i:02d}", "stopped") for i in range(10)))
    tenant.run("apply", "--auto-approve", str(tmp_path))
    write_spec(tmp_path, "many.yaml", *(spec_text(f"C-{i:02d}", "stopped") for i in range(6)))
    before = tenant.mutations()
    code, out = tenant.run("apply", "--prune", "--auto-approve", str(tmp_path))
    assert code == 3
    assert "stop or delete 4 of 10 managed campaigns" in out and "--force" in out
    assert tenant.mutations() == before
    assert tenant.run("plan", "--prune", str(tmp_path))[0] == 3
    assert tenant.run("apply", "--prune", "--force", "--auto-approve", str(tmp_path))[0] == 0
    assert len(tenant.campaigns()) == 6


def test_a_start_ending_in_error_fails_that_campaign_only(tenant: InProcessCli, specs: Path) -> None:
    tenant.emulator.faults = Faults(
        fail_start=(FailStart("Alpha", "DIALER_SESSION_FAILURE", "no trunks free"),)
    )
    code, out = tenant.run("apply", "--auto-approve", str(specs))
    assert code == 1
    assert "FAILED at start: start ended in ERROR: DIALER_SESSION_FAILURE: no trunks free" in out
    assert "2 applied, 1 failed, 0 interrupted." in out
    live = tenant.campaigns()
    assert (live["Alpha"]["status"], live["Charlie"]["status"]) == ("ERROR", "RUNNING")
    code, out = tenant.run("plan", str(specs))
    assert "note: in ERROR: DIALER_SESSION_FAILURE: no trunks free" in out
    assert "~ Alpha" in out and ": start" in out
    tenant.emulator.faults = Faults()
    assert tenant.run("apply", "--auto-approve", str(specs))[0] == 0
    assert tenant.campaigns()["Alpha"]["status"] == "RUNNING"


def test_a_saved_plan_applies_unless_the_tenant_moved(
    tenant: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert tenant.run("plan", "--out", str(saved), str(specs))[0] == 0
    data = json.loads(saved.read_text())
    assert data["versions"] == {}
    assert tenant.run("apply", "--plan", str(saved), "--auto-approve")[0] == 0
    assert len(tenant.campaigns()) == 3

    write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=15), spec_text("Bravo", "stopped"))
    tenant.run("plan", "--out", str(saved), str(specs))
    store = tenant.emulator.store
    row = store.by_name("Bravo")
    assert row is not None
    store.replace_definition(row, {**row.definition, "description": "edited in the CXone UI"})
    before = tenant.mutations()
    code, out = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 3
    assert "the tenant changed since the plan was saved: Bravo" in out
    assert tenant.mutations() == before


def test_a_saved_plan_for_another_target_is_refused(
    tenant: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    tenant.run("plan", "--out", str(saved), str(specs))
    data = json.loads(saved.read_text())
    data["target"] = "https://other.example"
    saved.write_text(json.dumps(data))
    code, out = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 1
    assert "edited after it was saved" in out
    tenant.env["CXONE_API_BASE"] = tenant.url + "/"
    saved_ok = tmp_path / "ok.json"
    tenant.run("plan", "--out", str(saved_ok), str(specs))
    tenant.env["CXONE_API_BASE"] = "http://other.emulator.test"
    code, out = tenant.run("apply", "--plan", str(saved_ok), "--auto-approve")
    assert code == 3
    assert "the plan was made for" in out
    assert tenant.mutations() == 0


def test_apply_without_a_terminal_or_auto_approve_changes_nothing(tenant: InProcessCli, specs: Path) -> None:
    code, out = tenant.run("apply", str(specs))
    assert code == 1
    assert "--auto-approve" in out
    assert tenant.mutations() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"list_id": "CL-NOPE"}, "contact list CL-NOPE does not exist in the tenant"),
        ({"list_id": "CL-552817-NCMP"}, "is not DNC compliant"),
        (
            {"list_id": "CL-000000-EMPT", "state": "running"},
            "is empty: a running campaign would dial nothing",
        ),
        ({"dnc": "DNC-MISSING"}, "DNC list DNC-MISSING does not exist in the tenant"),
    ],
)
def test_references_are_checked_against_the_tenant(
    tenant: InProcessCli, tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    path = write_spec(tmp_path, "r.yaml", spec_text("Ref", **kwargs))
    code, out = tenant.run("plan", str(tmp_path))
    assert code == 1
    assert f"{path}:" in out and message in out
    assert tenant.mutations() == 0


def test_an_empty_list_on_a_stopped_campaign_is_a_warning(tenant: InProcessCli, tmp_path: Path) -> None:
    write_spec(tmp_path, "r.yaml", spec_text("Ref", list_id="CL-000000-EMPT"))
    code, out = tenant.run("plan", str(tmp_path))
    assert code == 0
    assert "warning: contact list CL-000000-EMPT (Empty-Placeholder) is empty" in out


def test_the_markdown_plan_is_ready_for_a_pull_request(tenant: InProcessCli, specs: Path) -> None:
    code, out = tenant.run("plan", "--format", "markdown", str(specs))
    assert code == 0
    assert out.startswith("### cxone-reconciler plan")
    assert f"Target: `{tenant.url}`" in out
    assert "| 3 | 0 | 0 | 0 | 2 | 0 | 0 |" in out
    assert "- **Alpha**: starts dialing" in out
    assert out.count("<details>") == 3


def test_prune_with_no_specs_at_all_is_refused_unless_forced(
    tenant: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    tenant.run("apply", "--auto-approve", str(specs))
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = tenant.run("apply", "--prune", "--auto-approve", str(empty))
    assert code == 1
    assert f"no campaign specs in {empty}" in out
    code, out = tenant.run("apply", "--prune", "--auto-approve", "--allow-empty", str(empty))
    assert code == 3
    assert "no campaign specs were found, so --prune would delete all 3 managed campaigns" in out
    assert len(tenant.campaigns()) == 3


def test_plan_on_a_folder_with_no_specs_is_an_error_naming_it(tenant: InProcessCli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = tenant.run("plan", str(empty))
    assert code == 1
    assert f"no campaign specs in {empty}" in out and "--allow-empty" in out
    code, out = tenant.run("plan", "--allow-empty", "--detailed-exitcode", str(empty))
    assert code == 0, out


def test_an_unexpected_failure_is_a_message_not_a_traceback(
    tenant: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text('{"formatVersion": 1, "versions": {}, "target": 5}')
    code, out = tenant.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 1
    assert "error: cannot use saved plan" in out and "Traceback" not in out


def test_unmanaged_campaigns_are_never_changed_or_deleted_even_with_prune(
    tenant: InProcessCli, specs: Path
) -> None:
    store = tenant.emulator.store
    other = api_definition("Someone-Elses", dialerType="PREVIEW", labels={"managed-by": "terraform"})
    theirs = store.create(other.pop("name"), other, None)
    assert tenant.run("apply", "--prune", "--auto-approve", str(specs))[0] == 0
    after = store.get(theirs.id)
    assert after is not None and after.version == 1
    assert not [k for k in tenant.emulator.requests if theirs.id in k and not k.startswith("GET")]


@pytest.mark.e2e
def test_a_completed_campaign_is_reported_and_not_restarted(tmp_path: Path) -> None:
    seed = {
        "contactLists": [{"id": "CL-TINY", "name": "tiny", "recordCount": 3, "dncCompliant": True}],
        "dncLists": [{"id": "DNC-INTERNAL", "name": "internal", "scope": "INTERNAL", "recordCount": 1}],
    }
    emulator = build(":memory:", lifecycle=Lifecycle(0.05, 0.1, 0.05), seed=seed)
    write_spec(tmp_path, "t.yaml", spec_text("Tiny", "running", list_id="CL-TINY", cpm=600))
    with served(emulator) as tenant:
        code, out = tenant.run("apply", "--auto-approve", str(tmp_path))
        assert code == 0, out
        deadline = time.monotonic() + 5
        while tenant.campaigns()["Tiny"]["status"] != "COMPLETED":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        code, out = tenant.run("plan", "--detailed-exitcode", str(tmp_path))
        assert code == 0
        assert "Tiny: COMPLETED (its contact list is dialled out): reported, not restarted" in out
        before = tenant.mutations()
        assert tenant.run("apply", "--auto-approve", str(tmp_path))[0] == 0
        assert tenant.mutations() == before
