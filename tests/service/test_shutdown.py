"""Shutdown of operations: what runs may finish in the grace; what is left is saved failed, interrupted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from reconciler.emulator.app import Emulator
from reconciler.service.state import OperationRow, State
from tests.fakes import FakeTime
from tests.service_harness import Served, serving
from tests.specs import spec_text, write_spec


class Stall(httpx.AsyncBaseTransport):
    """Holds every start request until released."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.held = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/start"):
            self.held.set()
            await self.release.wait()
        return await self.inner.handle_async_request(request)


async def test_an_operation_still_running_after_the_grace_is_saved_interrupted(
    tmp_path: Path, emulator: Emulator, clock: FakeTime
) -> None:
    (tmp_path / "campaigns").mkdir()
    write_spec(tmp_path / "campaigns", "q3.yaml", spec_text("Q3", "running"))
    stall: list[Stall] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        stall.append(Stall(inner))
        return stall[0]

    async with serving(Served(tmp_path, emulator, clock), wrap=wrap) as svc:
        launch = await svc.post("/api/v1/campaigns/Q3/launch")
        op_id = launch.json()["operation"]["id"]
        await stall[0].held.wait()
        svc.c.draining = True
        refused = await svc.post("/api/v1/sync")
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "SHUTTING_DOWN"
        await svc.ops.drain(0.05)
        stall[0].release.set()
    state = State(tmp_path / "serve.db")
    saved = state.operation(op_id)
    assert saved is not None and saved.state == "failed" and saved.error == "interrupted by shutdown"
    state.close()


async def test_operations_left_running_by_a_crash_are_failed_on_start(
    tmp_path: Path, emulator: Emulator, clock: FakeTime
) -> None:
    (tmp_path / "campaigns").mkdir()
    write_spec(tmp_path / "campaigns", "q3.yaml", spec_text("Q3", "running"))
    state = State(tmp_path / "serve.db")
    state.save_operation(
        OperationRow("abc123", "launch", "Q3", "running", clock.wall(), None, (), "otto", None)
    )
    state.close()  # the process that ran it died
    async with serving(Served(tmp_path, emulator, clock)) as svc:
        found = (await svc.get("/api/v1/operations/abc123")).json()["operation"]
        assert found["state"] == "failed" and found["error"] == "interrupted by a restart"
