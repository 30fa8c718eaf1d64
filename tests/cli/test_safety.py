"""The CLI tells the truth against production dialers: no silent success, no bypassed guard.

In process against the emulator, on fake time (the tenant and the clock injected).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import InProcessCli
from tests.specs import spec_text, write_spec


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    directory = tmp_path / "campaigns"
    directory.mkdir()
    write_spec(directory, "a.yaml", spec_text("Alpha", "running"))
    return directory


def test_a_campaign_deleted_then_declared_again_is_really_created_again(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.run("apply", "--auto-approve", str(specs))[0] == 0
    first = cli.campaigns()["Alpha"]["id"]
    code, out = cli.run("apply", "--auto-approve", "--prune", "--force", "--allow-empty", str(empty))
    assert code == 0, out
    assert cli.campaigns() == {}

    code, out = cli.run("apply", "--auto-approve", str(specs))  # the spec comes back in a revert
    assert code == 0, out
    assert "1 applied, 0 failed" in out
    again = cli.campaigns()["Alpha"]
    assert again["id"] != first and again["status"] == "RUNNING"
    assert cli.run("plan", "--detailed-exitcode", str(specs))[0] == 0


def test_a_refused_plan_is_not_saved(cli: InProcessCli, specs: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cli.run("apply", "--auto-approve", str(specs))
    saved = tmp_path / "p.json"
    code, out = cli.run("plan", "--prune", "--allow-empty", str(empty), "--out", str(saved))
    assert code == 3, out
    assert not saved.exists()
    assert "Alpha" in cli.campaigns()


def test_a_saved_plan_is_held_to_the_guards_again_when_applied(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cli.run("apply", "--auto-approve", str(specs))
    saved = tmp_path / "p.json"
    assert cli.run("plan", "--prune", "--force", "--allow-empty", str(empty), "--out", str(saved))[0] == 0

    code, out = cli.run("apply", "--plan", str(saved), "--auto-approve")  # no --force this time
    assert code == 3, out
    assert "no campaign specs" in out
    assert "Alpha" in cli.campaigns()

    data = json.loads(saved.read_text())
    data["specs"] = 1  # defeat the guard by editing the file
    saved.write_text(json.dumps(data))
    code, out = cli.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 1 and "edited" in out
    assert "Alpha" in cli.campaigns()


def test_a_saved_plan_that_would_write_a_non_compliant_campaign_is_refused(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "p.json"
    assert cli.run("plan", str(specs), "--out", str(saved))[0] == 0
    data = json.loads(saved.read_text())
    window = {"days": ["MON"], "start": "06:00", "end": "23:00"}
    data["changes"][0]["fields"].append(
        {"path": "schedule", "before": None, "after": {"timeZone": "UTC", "windows": [window]}}
    )
    plan = _replan(data)  # a careful forger recomputes the fingerprint
    saved.write_text(json.dumps(plan))
    code, out = cli.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 1, out
    assert "TCPA calling hours" in out
    assert cli.campaigns() == {}


def _replan(data: dict[str, object]) -> dict[str, object]:
    """The saved plan with a fingerprint that matches its (edited) content."""
    from reconciler.engine.plan import Change, Plan

    changes = tuple(Change.from_json(c) for c in data["changes"])  # type: ignore[attr-defined]
    plan = Plan(
        target=str(data["target"]),
        changes=changes,
        unchanged=0,
        versions=dict(data["versions"]),  # type: ignore[call-overload]
        owned=int(data["owned"]),  # type: ignore[call-overload]
        specs=data.get("specs"),  # type: ignore[arg-type]
    )
    return plan.to_json(saved=True)


class LoseAnswers(httpx.AsyncBaseTransport):
    """A gateway that lets writes reach the API, then answers the first of each kind 504."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *methods: str) -> None:
        self.inner = inner
        self.methods = set(methods)
        self.lost: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method in self.methods:
            self.methods.discard(request.method)
            await response.aread()
            self.lost.append(f"{request.method} {request.url.path}")
            return httpx.Response(504, json={"errorCode": "GATEWAY_TIMEOUT", "errorMessage": "lost"})
        return response


def test_an_update_and_a_delete_whose_answers_were_lost_are_reported_done(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    cli.run("apply", "--auto-approve", str(specs))
    write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=12))
    gateways: list[LoseAnswers] = []

    def lossy(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        gateways.append(LoseAnswers(inner, "PATCH", "DELETE"))
        return gateways[-1]

    cli.wrap = lossy
    code, out = cli.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    assert gateways[-1].lost == [f"PATCH /api/campaigns/{cli.campaigns()['Alpha']['id']}"]
    assert "1 applied, 0 failed" in out

    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = cli.run("apply", "--auto-approve", "--prune", "--force", "--allow-empty", str(empty))
    assert code == 0, out
    assert any(lost.startswith("DELETE") for lost in gateways[-1].lost)
    assert cli.campaigns() == {}
    cli.wrap = None
    assert cli.run("plan", "--detailed-exitcode", "--prune", "--force", "--allow-empty", str(empty))[0] == 0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CXONE_API_BASE": "", "CXONE_CLIENT_ID": "ci", "CXONE_CLIENT_SECRET": "s3cret"}, "API_BASE"),
        ({"CXONE_API_BASE": None, "CXONE_CLIENT_ID": "ci", "CXONE_CLIENT_SECRET": "s3"}, "CXONE_CLIENT_ID"),
        (
            {
                "CXONE_PROVIDER": "cxone-acd",
                "CXONE_API_BASE": "",
                "CXONE_CLIENT_ID": "x",
                "CXONE_CLIENT_SECRET": "s3",
            },
            "CXONE_API_BASE",
        ),
        ({"CXONE_PROVIDER": "cxone-acd", "CXONE_API_BASE": None, "CXONE_ACCESS_KEY_ID": "k"}, "SECRET"),
    ],
)
def test_a_half_set_target_is_an_error_not_the_sandbox(
    env: dict[str, str | None], named: str, specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["apply", "--auto-approve", str(specs)], env=env)
    assert result.exit_code == 1, result.output
    assert named in result.output
    assert not (tmp_path / ".reconciler").exists()
    assert "s3cret" not in result.output and '"s3"' not in result.output


class SameCursorForever(httpx.AsyncBaseTransport):
    """A broken server: every page of campaigns says there is a next one, with the same cursor."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.pages = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/api/campaigns":
            self.pages += 1
            first_page = request.url.copy_remove_param("cursor")
            response = await self.inner.handle_async_request(
                httpx.Request("GET", first_page, headers=request.headers)
            )
            body = json.loads(await response.aread())
            return httpx.Response(200, json={**body, "nextCursor": "c2FtZQ"})
        return await self.inner.handle_async_request(request)


def test_a_server_repeating_its_cursor_is_a_clear_error_not_an_endless_plan(
    cli: InProcessCli, specs: Path
) -> None:
    loops: list[SameCursorForever] = []
    cli.wrap = lambda inner: loops.append(SameCursorForever(inner)) or loops[-1]
    code, out = cli.run("plan", str(specs))
    assert code == 1, out
    assert "the API returned the same nextCursor twice" in out
    assert loops[-1].pages == 2


@pytest.mark.parametrize("mode", ["504", "drop"])
@pytest.mark.parametrize(
    "lost",
    [
        "POST /api/campaigns",
        "POST /api/campaigns/*/start",
        "PATCH /api/campaigns/*",
        "POST /api/campaigns/*/stop",
        "DELETE /api/campaigns/*",
    ],
)
def test_apply_tells_the_truth_when_a_committed_write_loses_its_answer(
    cli: InProcessCli, specs: Path, tmp_path: Path, lost: str, mode: str
) -> None:
    """The emulator's own fault (reconciler emulator --lose-responses 1 --lose-only ... --lose-as ...)."""
    from reconciler.emulator.faults import Faults, LoseResponses

    cli.emulator.faults = Faults(lose_responses=LoseResponses(nth=1, requests=lost, mode=mode))  # type: ignore[arg-type]
    code, out = cli.run("apply", "--auto-approve", str(specs))  # create, then start
    assert code == 0, out
    assert "1 applied, 0 failed" in out
    write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=12))
    code, out = cli.run("apply", "--auto-approve", str(specs))  # update
    assert code == 0, out
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = cli.run("apply", "--auto-approve", "--prune", "--force", "--allow-empty", str(empty))
    assert code == 0, out  # stop, then delete
    assert [entry.split()[0] for entry in cli.emulator.lost] == [lost.split()[0]]  # it really was lost
    assert cli.campaigns() == {}
    assert cli.run("plan", "--detailed-exitcode", "--allow-empty", str(empty))[0] == 0


def test_summary_counters_since_creation_never_go_down_between_reads(cli: InProcessCli, specs: Path) -> None:
    cli.run("apply", "--auto-approve", str(specs))
    seen: list[dict[str, int]] = []
    for cpm in (10, 25, 5, 25):
        write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=cpm))  # pacing moves between reads
        assert cli.run("apply", "--auto-approve", str(specs))[0] == 0
        cli.clock.advance(90)
        code, out = cli.run("summary", "--format", "json", str(specs))
        assert code == 0, out
        (row,) = json.loads(out)["campaigns"]
        seen.append({key: row[key] for key in ("totalCalls", "answered", "abandoned")})
    for before, after in itertools.pairwise(seen):
        assert all(after[key] >= before[key] for key in before), seen
    assert seen[-1]["totalCalls"] > seen[0]["totalCalls"]


def test_a_hostile_live_name_is_escaped_in_the_markdown_plan(cli: InProcessCli, specs: Path) -> None:
    from tests.specs import api_definition

    hostile = "</details><img src=x onerror=alert(1)> @ops-team\\n| x |"
    body = api_definition(hostile, labels={"managed-by": "cxone-reconciler"})
    cli.emulator.store.create(body.pop("name"), body, None)
    code, out = cli.run("plan", "--prune", "--format", "markdown", str(specs))
    assert code == 0, out
    assert "</details><img" not in out and "<img" not in out and "@ops-team" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_an_alias_bomb_seed_stops_the_emulator_command_with_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 10)
    ]
    seed = tmp_path / "seed.yaml"
    seed.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["emulator", "--seed", str(seed), "--port", "1"])
    assert result.exit_code == 1, result.output
    assert f"invalid seed file {seed}:" in result.output and "alias bomb" in result.output
    assert "Traceback" not in result.output


def test_a_saved_start_is_refused_when_its_list_is_no_longer_dnc_compliant(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    write_spec(specs, "a.yaml", spec_text("Alpha", "stopped"))
    assert cli.run("apply", "--auto-approve", str(specs))[0] == 0
    write_spec(specs, "a.yaml", spec_text("Alpha", "running"))
    saved = tmp_path / "start.json"
    assert cli.run("plan", str(specs), "--out", str(saved))[0] == 0  # one start, no field changes
    store = cli.emulator.store
    lists = [{**cl, "dncCompliant": False} for cl in store.contact_lists()]
    store.seed(lists, store.dnc_lists())  # the list lost its DNC scrub since the plan was saved
    code, out = cli.run("apply", "--plan", str(saved), "--auto-approve")
    assert code == 1, out
    assert "is not DNC compliant" in out and "nothing was applied" in out
    assert cli.campaigns()["Alpha"]["status"] == "STOPPED"


class LoseThenRace(httpx.AsyncBaseTransport):
    """The first PATCH lands and its answer is lost, while someone else edits the campaign too."""

    def __init__(self, inner: httpx.AsyncBaseTransport, cli: InProcessCli) -> None:
        self.inner = inner
        self.cli = cli
        self.done = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "PATCH" and not self.done:
            self.done = True
            await response.aread()
            store = self.cli.emulator.store
            row = store.by_name("Alpha")
            assert row is not None
            store.replace_definition(row, {**row.definition, "description": "edited in the CXone UI"})
            return httpx.Response(504, json={"errorCode": "GATEWAY_TIMEOUT", "errorMessage": "lost"})
        return response


def test_an_update_whose_answer_was_lost_is_not_done_if_someone_else_wrote_too(
    cli: InProcessCli, specs: Path
) -> None:
    cli.run("apply", "--auto-approve", str(specs))
    write_spec(specs, "a.yaml", spec_text("Alpha", "running", cpm=12))
    cli.wrap = lambda inner: LoseThenRace(inner, cli)
    code, out = cli.run("apply", "--auto-approve", str(specs))
    assert code == 1, out
    assert "FAILED at update" in out and "0 applied, 1 failed" in out


def test_a_saved_plan_with_spec_paths_is_a_usage_error(
    cli: InProcessCli, specs: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "p.json"
    assert cli.run("plan", str(specs), "--out", str(saved))[0] == 0
    code, out = cli.run("apply", "--plan", str(saved), "--auto-approve", str(specs))
    assert code == 64, out  # EX_USAGE, never 2 ("has changes") and never a partial apply
    assert "takes no spec paths" in out and cli.campaigns() == {}
