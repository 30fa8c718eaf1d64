"""Faults that a test or a person can stage: commit, then lose the answer (504 or a dropped connection)."""

from __future__ import annotations

import ast
import signal

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.app import Emulator, build
from reconciler.emulator.faults import Faults, LoseResponses
from reconciler.emulator.server import free_port
from reconciler.emulator.store import Lifecycle
from tests.conftest import served, spawned
from tests.emulator.test_app import bearer
from tests.emulator.test_http import first_token
from tests.fakes import FakeTime
from tests.paths import ROOT
from tests.specs import api_definition as definition


def test_the_rule_names_which_writes_lose_their_answer() -> None:
    assert [n for n in range(1, 10) if LoseResponses(nth=3).loses(n)] == [3]
    assert [n for n in range(1, 10) if LoseResponses(every=1).loses(n)] == list(range(1, 10))
    assert [n for n in range(1, 10) if LoseResponses(nth=2, every=3).loses(n)] == [2, 5, 8]
    start = LoseResponses(requests="POST /api/campaigns/*/start")
    assert start.matches("POST", "/api/campaigns/CMP-000001/start")
    assert not start.matches("POST", "/api/campaigns")
    assert not LoseResponses().matches("GET", "/api/campaigns")
    assert not LoseResponses().matches("POST", "/oauth/token")
    with pytest.raises(ValueError, match="nth >= 1"):
        LoseResponses(nth=0)


async def test_the_nth_write_is_committed_and_answered_504(
    emulator: Emulator, raw: httpx.AsyncClient
) -> None:
    emulator.faults = Faults(lose_responses=LoseResponses(nth=2))
    headers = await bearer(raw)
    created = await raw.post("/api/campaigns", json=definition(), headers=headers)
    assert created.status_code == 201
    campaign = f"/api/campaigns/{created.json()['id']}"
    lost = await raw.patch(campaign, json={"description": "lost answer"}, headers=headers)
    assert (lost.status_code, lost.json()["errorCode"]) == (504, "UPSTREAM_UNAVAILABLE")
    now = (await raw.get(campaign, headers=headers)).json()
    assert (now["description"], now["version"]) == ("lost answer", 2)
    third = await raw.post(f"{campaign}/start", headers=headers)
    assert third.status_code == 202
    assert emulator.lost == [f"PATCH {campaign} 200"]


async def test_every_write_can_lose_its_answer_even_a_refused_one(
    emulator: Emulator, raw: httpx.AsyncClient
) -> None:
    emulator.faults = Faults(lose_responses=LoseResponses(every=1))
    headers = await bearer(raw)
    answers = [
        (await raw.post("/api/campaigns", json=definition(), headers=headers)).status_code,
        (await raw.post("/api/campaigns", json=definition(), headers=headers)).status_code,
        (await raw.post("/api/campaigns/CMP-000001/start", headers=headers)).status_code,
        (await raw.post("/api/campaigns/CMP-000001/stop", headers=headers)).status_code,
    ]
    assert answers == [504, 504, 504, 504]
    assert [entry.split()[-1] for entry in emulator.lost] == ["201", "409", "202", "202"]
    assert (await raw.get("/api/campaigns/CMP-000001", headers=headers)).json()["status"] == "STOPPING"


async def test_a_dropped_answer_in_process_is_a_transport_error(
    emulator: Emulator, raw: httpx.AsyncClient
) -> None:
    emulator.faults = Faults(lose_responses=LoseResponses(mode="drop"))
    headers = await bearer(raw)
    with pytest.raises(httpx.RemoteProtocolError):
        await raw.post("/api/campaigns", json=definition(), headers=headers)
    assert (await raw.get("/api/campaigns/CMP-000001", headers=headers)).status_code == 200


def test_a_dropped_start_over_http_is_started_but_never_answered() -> None:
    faults = Faults(lose_responses=LoseResponses(requests="POST /api/campaigns/*/start", mode="drop"))
    emulator = build(
        ":memory:", lifecycle=Lifecycle(queued=0.05, initializing=0.1, stopping=0.05), faults=faults
    )
    with served(emulator) as tenant, httpx.Client(base_url=tenant.url, timeout=10) as http:
        token = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "demo", "client_secret": "demo-secret"},
        )
        headers = {"Authorization": "Bearer " + token.json()["access_token"]}
        campaign = (
            "/api/campaigns/" + http.post("/api/campaigns", json=definition(), headers=headers).json()["id"]
        )
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(f"{campaign}/start", headers=headers)
        assert http.get(campaign, headers=headers).json()["status"] in ("QUEUED", "INITIALIZING", "RUNNING")
        assert http.post(f"{campaign}/stop", headers=headers).status_code == 202
    assert emulator.lost == [f"POST {campaign}/start 202"]


def test_the_emulator_command_loses_the_answer_it_is_told_to() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with spawned(
        ["emulator", "--port", str(port), "--lose-responses", "2", "--lose-every", "2"], {}
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()
        headers = {
            "Authorization": "Bearer " + first_token(port, "demo", "demo-secret").json()["access_token"]
        }
        with httpx.Client(base_url=base, timeout=10) as http:
            statuses = [
                http.post("/api/campaigns", json=definition(f"C-{i}"), headers=headers).status_code
                for i in range(5)
            ]
            names = [c["name"] for c in http.get("/api/campaigns", headers=headers).json()["items"]]
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
    assert statuses == [201, 504, 201, 504, 201]
    assert names == [f"C-{i}" for i in range(5)]
    assert "Traceback" not in out


def test_the_emulator_command_drops_connections_without_a_traceback() -> None:
    port = free_port()
    flags = ["--lose-responses", "1", "--lose-as", "drop", "--lose-only", "POST /api/campaigns"]
    with spawned(["emulator", "--port", str(port), *flags], {}) as process:
        assert process.stdout is not None
        process.stdout.readline()
        headers = {
            "Authorization": "Bearer " + first_token(port, "demo", "demo-secret").json()["access_token"]
        }
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                http.post("/api/campaigns", json=definition(), headers=headers)
            again = http.post("/api/campaigns", json=definition(), headers=headers)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
    assert (again.status_code, again.json()["errorCode"]) == (409, "DUPLICATE_NAME")
    assert "Traceback" not in out and "ASGI" not in out


@pytest.mark.parametrize("flags", [["--lose-as", "drop"], ["--lose-every", "3"], ["--lose-only", "PATCH *"]])
def test_lose_flags_without_lose_responses_are_a_usage_error(flags: list[str]) -> None:
    result = CliRunner().invoke(main, ["emulator", *flags])
    assert result.exit_code == 64  # EX_USAGE
    assert f"{flags[0]} needs --lose-responses NTH" in result.output


async def test_the_rate_limit_and_latency_run_on_the_injected_clock() -> None:
    clock = FakeTime()
    emulator = build(
        ":memory:",
        clock=clock.wall,
        faults=Faults(rate_limit=2, latency=0.25),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://e") as raw:
        burst = [(await raw.get("/api/campaigns")).status_code for _ in range(4)]
        clock.advance(1)
        after = (await raw.get("/api/campaigns")).status_code
    # 2 tokens, and each request's latency (0.25 s of fake time) refills half a token: the 4th finds 0.5
    assert burst == [401, 401, 401, 429]
    assert after == 401
    assert clock.sleeps == [0.25] * 5


def test_the_emulator_modules_import_each_other_without_a_cycle() -> None:
    package = ROOT / "reconciler" / "emulator"
    imports: dict[str, set[str]] = {}
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        imports[module.stem] = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reconciler.emulator.")
        }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in imports.get(start, ())
        )

    assert [m for m in imports if reaches(m, m, set())] == []
    assert "app" not in imports["faults"] and "app" not in imports["tenant"]
    assert imports["records"] <= {"database", "dialer"}  # persistence derives nothing
