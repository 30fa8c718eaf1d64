"""Shared fixtures: the emulator behind the real client, time that never sleeps."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from pydantic import SecretStr

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.emulator.app import Emulator, build
from reconciler.emulator.store import Lifecycle
from tests.contract import ContractMiddleware, ContractTransport
from tests.fakes import FakeTime

BASE = "http://emulator.test"


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def emulator(clock: FakeTime) -> Emulator:
    return build(":memory:", clock=clock.wall, lifecycle=Lifecycle(queued=1, initializing=2, stopping=1))


def client_for(
    emulator: Emulator,
    clock: FakeTime,
    *,
    client_id: str = "demo",
    secret: str = "demo-secret",
    scope: str = "",
    wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
) -> CxoneClient:
    auth = ClientCredentials(
        token_url=f"{BASE}/oauth/token",
        client_id=client_id,
        client_secret=SecretStr(secret),
        scope=scope,
        clock=clock.monotonic,
        wall=clock.wall,
    )
    transport: httpx.AsyncBaseTransport = ContractTransport(httpx.ASGITransport(app=emulator.app))
    if wrap is not None:
        transport = wrap(transport)
    return CxoneClient(
        base_url=BASE,
        auth=auth,
        transport=transport,
        config=ResilienceConfig(rate_per_second=0),
        runtime=clock.runtime,
    )


def client_over(
    transport: httpx.AsyncBaseTransport,
    clock: FakeTime | None = None,
    *,
    base: str = BASE,
    secret: str = "s",
) -> CxoneClient:
    """The real client over any transport (a MockTransport, a fake server), on fake time."""
    clock = clock or FakeTime()
    auth = ClientCredentials(
        token_url=f"{base}/oauth/token",
        client_id="ci",
        client_secret=SecretStr(secret),
        scope="",
        clock=clock.monotonic,
        wall=clock.wall,
    )
    return CxoneClient(
        base_url=base,
        auth=auth,
        transport=transport,
        config=ResilienceConfig(rate_per_second=0),
        runtime=clock.runtime,
    )


@pytest.fixture
async def api(emulator: Emulator, clock: FakeTime) -> AsyncIterator[CxoneClient]:
    async with client_for(emulator, clock) as client:
        yield client


@pytest.fixture
async def raw(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the emulator, for the status codes a client never sends on purpose."""
    transport = ContractTransport(httpx.ASGITransport(app=emulator.app))
    async with httpx.AsyncClient(base_url=BASE, transport=transport) as client:
        yield client


class Tenant:
    """A live emulator on a loopback port and the CLI pointed at it."""

    def __init__(self, emulator: Emulator, url: str) -> None:
        self.emulator = emulator
        self.url = url
        self.env = {"CXONE_API_BASE": url, "CXONE_CLIENT_ID": "demo", "CXONE_CLIENT_SECRET": "demo-secret"}

    def run(self, *args: str, input: str | None = None) -> tuple[int, str]:
        from click.testing import CliRunner

        from reconciler.cli import main

        result = CliRunner().invoke(main, list(args), env=self.env, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def mutations(self) -> int:
        return sum(
            count
            for key, count in self.emulator.requests.items()
            if key.split()[0] in ("POST", "PATCH", "DELETE") and not key.endswith("/oauth/token")
        )

    def campaigns(self) -> dict[str, dict[str, object]]:
        rows, _ = self.emulator.store.page(None, 10_000)
        return {row.name: self.emulator.store.view(row) for row in rows}


@pytest.fixture
def tenant() -> Iterator[Tenant]:
    emulator = build(":memory:", lifecycle=Lifecycle(queued=0.05, initializing=0.1, stopping=0.05))
    with served(emulator) as tenant:
        yield tenant


@contextmanager
def served(emulator: Emulator) -> Iterator[Tenant]:
    """The emulator on loopback; every response it sends is checked against the contract."""
    from reconciler.emulator.server import ServerThread

    contract = ContractMiddleware(emulator.app)
    emulator.app = contract  # type: ignore[assignment]
    with ServerThread(emulator) as server:
        yield Tenant(emulator, server.url)
    assert contract.violations == [], "\n".join(contract.violations)


@contextmanager
def spawned(
    args: list[str], env: dict[str, str | None], *, limit: float = 30.0
) -> Iterator[subprocess.Popen[str]]:
    """`python -m reconciler ARGS` in a child process, killed if it outlives ``limit`` seconds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            name: value
            for name, value in {**os.environ, **env, "PYTHONUNBUFFERED": "1"}.items()
            if value is not None  # None removes a variable
        },
    )
    watchdog = threading.Timer(limit, process.kill)
    watchdog.start()
    try:
        yield process
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()


class InProcessCli:
    """The CLI against the in-process emulator on fake time: no server, no real sleeping.

    ``wrap`` puts a transport between the client and the emulator (to lose answers, say).
    """

    def __init__(self, emulator: Emulator, clock: FakeTime) -> None:
        self.url = BASE
        self.env = {"CXONE_API_BASE": BASE, "CXONE_CLIENT_ID": "demo", "CXONE_CLIENT_SECRET": "demo-secret"}
        self.emulator = emulator
        self.clock = clock
        self.wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None

    def run(self, *args: str, input: str | None = None) -> tuple[int, str]:
        from click.testing import CliRunner

        from reconciler.cli import main
        from reconciler.providers.campaigns import CampaignsTenant

        @asynccontextmanager
        async def open_tenant(target: object, *, runtime: object = None) -> AsyncIterator[CampaignsTenant]:
            async with client_for(self.emulator, self.clock, wrap=self.wrap) as client:
                yield CampaignsTenant(client)

        obj = {"open_tenant": open_tenant, "runtime": self.clock.runtime}
        result = CliRunner().invoke(main, list(args), env=self.env, input=input, obj=obj)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def campaigns(self) -> dict[str, dict[str, object]]:
        rows, _ = self.emulator.store.page(None, 10_000)
        return {row.name: self.emulator.store.view(row) for row in rows}

    def mutations(self) -> int:
        return Tenant.mutations(self)  # type: ignore[arg-type]


@pytest.fixture
def cli(emulator: Emulator, clock: FakeTime) -> InProcessCli:
    return InProcessCli(emulator, clock)


_REAL_WORLD = ("spawned(", "served(", "subprocess.", "ServerThread(", "Popen(")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts a child process or a loopback server is end to end (the e2e marker)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        function = getattr(item, "function", None)
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            source = ""
        loopback = ("tenant" in names and "cli" not in names) or "staged" in names
        if loopback or any(call in source for call in _REAL_WORLD):
            item.add_marker(pytest.mark.e2e)
