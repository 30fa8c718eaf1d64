"""Shared fixtures: the emulator behind the real client, time that never sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.emulator.app import Emulator, build
from reconciler.emulator.store import Lifecycle
from tests.contract import ContractTransport
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
) -> CxoneClient:
    auth = ClientCredentials(
        token_url=f"{BASE}/oauth/token",
        client_id=client_id,
        client_secret=SecretStr(secret),
        scope=scope,
        clock=clock.monotonic,
        wall=clock.wall,
    )
    transport = ContractTransport(httpx.ASGITransport(app=emulator.app))
    return CxoneClient(
        base_url=BASE,
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
