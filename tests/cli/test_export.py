"""`reconciler export` through the CLI against the emulator, in process on fake time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import InProcessCli
from tests.drift_helpers import put, reads_only, requests
from tests.specs import spec_text, write_spec

WINDOW = {"days": ["MON", "FRI"], "start": "09:30", "end": "17:00"}


@pytest.fixture
def applied(cli: InProcessCli, tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    write_spec(specs, "a.yaml", spec_text("Alpha", "running"), spec_text("Bravo", "stopped"))
    code, out = cli.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    return specs


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


def test_a_campaign_is_written_canonically(cli: InProcessCli, tmp_path: Path) -> None:
    put(cli, "Q3-Outbound", description="", schedule={"timeZone": "America/New_York", "windows": [WINDOW]})
    out = tmp_path / "out"
    code, text = cli.run("export", "--out", str(out))
    assert code == 0, text
    assert (out / "Q3-Outbound.yaml").read_text() == (
        "# yaml-language-server: $schema=../schemas/campaign.schema.json\n"
        "apiVersion: cxone.reconciler/v1\n"
        "kind: Campaign\n"
        "metadata:\n"
        "  name: Q3-Outbound\n"
        "  labels:\n"
        "    team: sales\n"
        "spec:\n"
        "  dialerType: PREDICTIVE\n"
        "  contactListId: CL-839201-AJF2\n"
        "  dnc:\n"
        "    enforceNational: true\n"
        "    enforceLocal: true\n"
        "    listIds:\n"
        "      - DNC-INTERNAL\n"
        "  pacing:\n"
        "    callsPerMinute: 10\n"
        "    maxConcurrent: 20\n"
        "  schedule:\n"
        "    timeZone: America/New_York\n"
        "    windows:\n"
        "      - days:\n"
        "          - MON\n"
        "          - FRI\n"
        '        start: "09:30"\n'
        '        end: "17:00"\n'
    )


def test_owned_campaigns_are_exported_and_plan_on_them_finds_nothing_to_do(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    put(cli, "Hand-Made", owned=False)
    out = tmp_path / "out"
    code, text = cli.run("export", "--out", str(out))
    assert code == 0, text
    assert f"Target: {cli.url}" in text
    assert list(files(out)) == ["Alpha.yaml", "Bravo.yaml"]
    assert "state: running" in (out / "Alpha.yaml").read_text()
    assert "state:" not in (out / "Bravo.yaml").read_text()  # stopped is the default
    assert "managed-by" not in (out / "Alpha.yaml").read_text()  # implied
    assert "Exported 2 campaign(s)" in text and "2 written" in text
    assert cli.run("validate", str(out))[0] == 0
    assert cli.run("plan", "--detailed-exitcode", str(out))[0] == 0


def test_export_sends_no_change_and_reads_only_the_campaign_list(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    requests(cli)
    before = cli.mutations()
    assert cli.run("export", "--all", "--verify", "--out", str(tmp_path / "out"))[0] == 0
    assert cli.mutations() == before
    seen = requests(cli)
    assert reads_only(seen) and seen["GET /api/campaigns"] == 1


def test_a_second_export_is_byte_identical(cli: InProcessCli, applied: Path, tmp_path: Path) -> None:
    put(cli, "Zulu", owned=True, running=True, schedule={"timeZone": "Europe/Paris", "windows": [WINDOW]})
    out = tmp_path / "out"
    assert cli.run("export", "--out", str(out))[0] == 0
    first = files(out)
    code, text = cli.run("export", "--out", str(out))
    assert code == 0
    assert files(out) == first
    assert "3 unchanged" in text
    other = tmp_path / "again"
    assert cli.run("export", "--out", str(other))[0] == 0
    assert files(other) == first


def test_existing_files_are_kept_and_reported_unless_forced(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "Alpha.yaml").write_text("# mine\n")
    code, text = cli.run("export", "--out", str(out))
    assert code == 0
    assert (out / "Alpha.yaml").read_text() == "# mine\n"
    assert "kept" in text and str(out / "Alpha.yaml") in text and "--force overwrites" in text
    code, text = cli.run("export", "--force", "--out", str(out))
    assert code == 0
    assert "overwritten" in text
    assert (out / "Alpha.yaml").read_text().startswith("# yaml-language-server")


def test_verify_passes_on_a_clean_export_and_fails_when_a_file_is_edited(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, text = cli.run("export", "--verify", "--out", str(out))
    assert code == 0, text
    assert "Verified: plan on the 2 exported file(s) finds nothing to do." in text
    path = out / "Bravo.yaml"
    path.write_text(path.read_text().replace("callsPerMinute: 10", "callsPerMinute: 12"))
    code, text = cli.run("export", "--verify", "--out", str(out))
    assert code == 1
    assert "Bravo: update" in text
    assert "pacing.callsPerMinute: file 12, live 10" in text
    assert "error: verify failed" in text


def test_verify_fails_when_a_kept_file_holds_another_campaign(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_spec(out.parent, "out-Alpha.yaml", spec_text("Somebody-Else"))
    out.mkdir()
    (out.parent / "out-Alpha.yaml").rename(out / "Alpha.yaml")
    code, text = cli.run("export", "--verify", "--out", str(out))
    assert code == 1
    assert f"{out / 'Alpha.yaml'}: does not declare Alpha" in text
    assert "Somebody-Else: create" in text


def test_all_exports_campaigns_not_managed_and_drops_another_tools_ownership(
    cli: InProcessCli, tmp_path: Path
) -> None:
    put(cli, "Theirs", owned=False, labels={"team": "ops", "managed-by": "terraform"})
    out = tmp_path / "out"
    code, text = cli.run("export", "--out", str(out))
    assert code == 0 and files(out) == {}
    code, text = cli.run("export", "--all", "--verify", "--out", str(out))
    assert code == 0, text
    assert "labels:\n    team: ops\n" in (out / "Theirs.yaml").read_text()
    assert "managed-by: terraform (another tool manages it) is not written" in text
    assert "1 of them are not managed yet: applying them needs --adopt" in text


def test_name_globs_choose_campaigns_and_a_glob_that_matches_nothing_is_an_error(
    cli: InProcessCli, applied: Path, tmp_path: Path
) -> None:
    put(cli, "Hand-Made", owned=False)
    out = tmp_path / "out"
    assert cli.run("export", "--name", "B*", "--name", "Nope?", "--out", str(out))[0] == 1
    assert not out.exists()
    code, text = cli.run("export", "--name", "Hand-*", "--out", str(out))
    assert code == 1 and "pass --all" in text
    code, text = cli.run("export", "--name", "B*", "--out", str(out))
    assert code == 0
    assert list(files(out)) == ["Bravo.yaml"]


def test_names_that_are_not_plain_get_safe_file_names_with_a_suffix(
    cli: InProcessCli, tmp_path: Path
) -> None:
    for name in ("Sales/EMEA: Q3", "sales-emea", "Sales-EMEA", "../../etc/passwd", ".hidden", "CON"):
        put(cli, name)
    out = tmp_path / "out"
    code, text = cli.run("export", "--verify", "--out", str(out))
    assert code == 0, text
    names = list(files(out))
    assert len(names) == 6
    assert "Sales-EMEA.yaml" in names and "sales-emea.yaml" not in names  # one per name, whatever the case
    assert all(p.parent == out for p in out.iterdir())
    assert not any(n.startswith(".") for n in names)
    odd = [n for n in names if n != "Sales-EMEA.yaml"]
    assert all(len(n.removesuffix(".yaml").rsplit("-", 1)[1]) == 8 for n in odd)
    assert cli.run("plan", "--detailed-exitcode", str(out))[0] == 0


def test_a_campaign_the_spec_cannot_express_is_written_faithfully_and_reported(
    cli: InProcessCli, tmp_path: Path
) -> None:
    early = {"days": ["SAT"], "start": "07:00", "end": "12:00"}
    put(cli, "Early-Bird", schedule={"timeZone": "America/Denver", "windows": [early]})
    out = tmp_path / "out"
    code, text = cli.run("export", "--out", str(out))
    assert code == 0
    assert 'start: "07:00"' in (out / "Early-Bird.yaml").read_text()
    assert "! Early-Bird: spec.schedule.windows.0.start: calling window start 07:00" in text
    assert "complianceOptOuts.callingHours.reason" in text
    code, text = cli.run("validate", str(out))
    assert code == 1 and "outside TCPA calling hours" in text
    assert cli.run("export", "--verify", "--out", str(out))[0] == 1


def test_error_and_completed_campaigns_are_written_stopped(cli: InProcessCli, tmp_path: Path) -> None:
    put(cli, "Broken")
    row = cli.emulator.store.by_name("Broken")
    assert row is not None
    cli.emulator.store.start(row, {"errorCode": "DIALER_FAULT", "errorMessage": "trunk down"})
    put(cli, "Finished", running=True, pacing={"callsPerMinute": 600, "maxConcurrent": 20})
    cli.clock.advance(2000)  # 15,420 contacts at 600 a minute: dialled out
    assert {n: c["status"] for n, c in cli.campaigns().items()} == {
        "Broken": "ERROR",
        "Finished": "COMPLETED",
    }
    out = tmp_path / "out"
    code, text = cli.run("export", "--verify", "--out", str(out))
    assert code == 0, text
    assert "state:" not in (out / "Broken.yaml").read_text()
    assert "state:" not in (out / "Finished.yaml").read_text()


def test_the_modeline_points_at_the_repositorys_schema(cli: InProcessCli, tmp_path: Path) -> None:
    put(cli, "Alpha")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "schemas").mkdir()
    (repo / "schemas" / "campaign.schema.json").write_text("{}")
    out = repo / "tenants" / "prod"
    assert cli.run("export", "--out", str(out))[0] == 0
    first = (out / "Alpha.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/campaign.schema.json"


def test_an_unwritable_folder_is_a_clear_error(cli: InProcessCli, tmp_path: Path) -> None:
    put(cli, "Alpha")
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, text = cli.run("export", "--out", str(blocker / "out"))
    assert code == 1
    assert "error: cannot write spec files in" in text and "hint: choose a writable folder" in text
