"""The emulator over real loopback HTTP, driven the way the tutorial's Go client drives CXone."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from reconciler.emulator.app import build
from reconciler.emulator.server import free_port
from reconciler.emulator.store import Lifecycle
from tests.conftest import Tenant, served, spawned


@pytest.fixture
def live() -> Iterator[Tenant]:
    emulator = build(":memory:", lifecycle=Lifecycle(queued=0.05, initializing=0.1, stopping=0.05))
    with served(emulator) as tenant:
        yield tenant


def test_a_client_written_from_the_tutorial_launches_paces_and_summarises(live: Tenant) -> None:
    with httpx.Client(timeout=15) as http:
        tutorial_flow(http, live.url)


def tutorial_flow(http: httpx.Client, base: str) -> None:
    # Authentication Setup: the tutorial joins the form by hand, without URL-encoding.
    body = (
        "grant_type=client_credentials&client_id=demo&client_secret=demo-secret"
        "&scope=campaign:read campaign:write contactlist:read dnc:read statistics:read"
    )
    token = http.post(
        f"{base}/oauth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert token.status_code == 200
    headers = {"Authorization": "Bearer " + token.json()["access_token"], "Accept": "application/json"}
    # Step 1: validate the contact list
    contact_list = http.get(f"{base}/api/contactlists/CL-839201-AJF2", headers=headers).json()
    assert contact_list == {
        "id": "CL-839201-AJF2",
        "name": "Q3-Enterprise-Outbound",
        "recordCount": 15420,
        "dncCompliant": True,
        "lastValidated": "2024-06-15T08:30:00Z",
    }
    # Complete Working Example: create, then start
    payload = {
        "name": "Tutorial-Launch",
        "description": "from the tutorial",
        "dialerType": "PREDICTIVE",
        "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
        "contactListId": "CL-839201-AJF2",
        "dnc": {"enforceNational": True, "enforceLocal": True},
    }
    created = http.post(f"{base}/api/campaigns", json=payload, headers=headers)
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    started = http.post(f"{base}/api/campaigns/{campaign_id}/start", headers=headers)
    assert started.status_code == 202
    # Step 2: jittered polling until RUNNING, STOPPED or ERROR
    status = None
    for _ in range(100):
        status = http.get(f"{base}/api/campaigns/{campaign_id}", headers=headers).json()["status"]
        if status in ("RUNNING", "STOPPED", "ERROR"):
            break
        time.sleep(0.02 + random.uniform(0, 0.02))
    assert status == "RUNNING"
    # Step 4: adjust pacing from the realtime answer rate
    realtime = http.get(f"{base}/api/campaigns/{campaign_id}/realtime", headers=headers).json()
    assert set(realtime) == {"answerRate", "abandonRate", "activeCalls", "totalCalls"}
    new_cpm = 25 if realtime["answerRate"] >= 0.35 else 5 if realtime["answerRate"] < 0.175 else 10
    patched = http.patch(
        f"{base}/api/campaigns/{campaign_id}",
        json={"pacing": {"callsPerMinute": new_cpm}},
        headers={**headers, "Content-Type": "application/json"},
    )
    assert patched.status_code == 200
    assert patched.json()["pacing"]["callsPerMinute"] == new_cpm
    # Step 6: performance summary
    summary = http.get(f"{base}/api/campaigns/{campaign_id}/statistics", headers=headers).json()
    assert set(summary) == {"totalCalls", "answered", "abandoned", "avgTalkTime", "connectRate"}


def first_token(port: int, client_id: str, secret: str) -> httpx.Response:
    """A token from an emulator that is still starting up (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.post(
                f"http://127.0.0.1:{port}/oauth/token",
                data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            )
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "emulator did not start"
            time.sleep(0.05)


def test_the_emulator_command_serves_the_tutorial_client_and_stops_on_ctrl_c() -> None:
    port = free_port()
    flags = ["--port", str(port), "--token-lifetime", "60", "--queued", "0.05", "--initializing", "0.1"]
    with spawned(["emulator", *flags], {}) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        response = first_token(port, "demo", "demo-secret")
        assert response.json()["expires_in"] == 60
        with httpx.Client(timeout=15) as http:
            tutorial_flow(http, f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "emulator stopped" in out
    assert "Traceback" not in out


def test_emulator_flags_add_clients_and_refuse_unknown_scopes() -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    bad = CliRunner().invoke(main, ["emulator", "--client", "ci:s3cret:campaign:read,admin:all"])
    assert bad.exit_code == 64  # a usage error (EX_USAGE)
    assert "unknown scope(s) admin:all" in bad.output
    port = free_port()
    flags = [
        "--port",
        str(port),
        "--client",
        "ci:ci-secret:campaign:read",
        "--fail-start",
        "Broken-*=NO_TRUNKS",
    ]
    with spawned(["emulator", *flags], {}) as process:
        assert process.stdout is not None
        process.stdout.readline()
        token = first_token(port, "ci", "ci-secret")
        assert token.json()["scope"] == "campaign:read"
        headers = {"Authorization": "Bearer " + token.json()["access_token"]}
        denied = httpx.get(f"http://127.0.0.1:{port}/api/contactlists", headers=headers)
        assert denied.json()["errorCode"] == "INSUFFICIENT_SCOPE"
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
