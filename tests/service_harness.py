"""A served control API in process: the emulator behind the real client, fake time, real state on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator.app import Emulator
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.service.app import build_app
from reconciler.service.auth import Tokens, mint
from reconciler.service.controller import Config, Controller
from reconciler.service.metrics import Metrics, MetricsTransport
from reconciler.service.operations import Operations
from reconciler.service.state import OperationRow, State
from tests.conftest import client_for
from tests.contract import ControlContract
from tests.fakes import FakeTime

BASE = "http://serve.test"


class Outage(httpx.AsyncBaseTransport):
    """Between the client and the emulator: while ``down``, every connection is refused."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class Served:
    """One service over one state file; ``restart`` builds a new one on the same state."""

    root: Path
    emulator: Emulator
    clock: FakeTime
    drift: str = "warn"
    webhook_secret: bytes | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    http: httpx.AsyncClient | None = None
    controller: Controller | None = None
    operations: Operations | None = None
    outage: Outage | None = None

    @property
    def specs(self) -> Path:
        return self.root / "campaigns"

    @property
    def c(self) -> Controller:
        assert self.controller is not None
        return self.controller

    @property
    def ops(self) -> Operations:
        assert self.operations is not None
        return self.operations

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    async def get(self, path: str, who: str | None = "viewer", **kw: Any) -> httpx.Response:
        assert self.http is not None
        return await self.http.get(path, headers=self.headers(who), **kw)

    async def post(self, path: str, who: str | None = "operator", **kw: Any) -> httpx.Response:
        assert self.http is not None
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return await self.http.post(path, headers=headers, **kw)

    async def finished(self, response: httpx.Response) -> dict[str, Any]:
        """The operation a 202 answered with, once it has finished (read back through the API)."""
        assert response.status_code == 202, response.text
        op_id = response.json()["operation"]["id"]
        assert response.headers["Location"] == f"/api/v1/operations/{op_id}"
        await self.ops.join(op_id)
        found = await self.get(f"/api/v1/operations/{op_id}")
        operation: dict[str, Any] = found.json()["operation"]
        return operation

    def live(self) -> dict[str, dict[str, Any]]:
        rows, _ = self.emulator.store.page(None, 10_000)
        return {row.name: self.emulator.store.view(row) for row in rows}

    def creates(self) -> int:
        return sum(
            n for k, n in self.emulator.requests.items() if k.startswith("POST") and k.endswith("/campaigns")
        )


@asynccontextmanager
async def serving(
    served: Served, *, wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None
) -> AsyncIterator[Served]:
    """Open the service of ``served`` (tokens minted once), serve it in process, close it after."""
    tokens_file = served.root / "tokens.yaml"
    if not served.tokens:
        served.tokens = {
            "viewer": mint(tokens_file, "vera", "viewer"),
            "operator": mint(tokens_file, "otto", "operator"),
        }
    config = Config(
        paths=(str(served.specs),),
        target="emulator",
        drift=served.drift,
        sync_interval=300.0,
        tokens=Tokens.load(tokens_file),
        webhook_secret=served.webhook_secret,
        shutdown_grace=0.5,
    )
    metrics = Metrics()

    def chain(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        served.outage = Outage(inner)
        outer = MetricsTransport(served.outage, metrics)
        return wrap(outer) if wrap is not None else outer

    state = State(served.root / "serve.db")
    async with client_for(served.emulator, served.clock, wrap=chain) as client:
        controller = Controller(
            config, CampaignsTenant(client), state, runtime=served.clock.runtime, metrics=metrics
        )
        operations = Operations(controller)
        app = build_app(controller, operations)
        transport = ControlContract(httpx.ASGITransport(app=app))
        async with httpx.AsyncClient(base_url=BASE, transport=transport) as http:
            served.http, served.controller, served.operations = http, controller, operations
            try:
                yield served
            finally:
                await operations.drain(0.5)
                state.close()


def op(row: OperationRow | None) -> OperationRow:
    assert row is not None
    return row
