"""Token requests are single-flight: one round, one outcome for every waiter."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from reconciler.cxone.client import CxoneClient
from reconciler.errors import AuthError
from tests.conftest import client_over
from tests.cxone.test_client import CAMPAIGN
from tests.fakes import FakeTime

BASE = "http://127.0.0.1:9"


class Server:
    """A token endpoint that counts requests, refuses or issues, and can be held."""

    def __init__(self, *, accept: bool) -> None:
        self.accept = accept
        self.token_requests = 0
        self.completed_token_requests = 0
        self.api_requests = 0
        self.hold: asyncio.Event | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests += 1
            await asyncio.sleep(0)  # let every waiter pile up behind this round
            if self.hold is not None:
                await self.hold.wait()
            await request.aread()
            self.completed_token_requests += 1
            if not self.accept:
                return httpx.Response(401, json={"error": "invalid_client"})
            return httpx.Response(200, json={"access_token": "tok-abc", "expires_in": 3600})
        self.api_requests += 1
        return httpx.Response(200, json=CAMPAIGN)


def make(server: Callable[[httpx.Request], Awaitable[httpx.Response]], clock: FakeTime) -> CxoneClient:
    return client_over(httpx.MockTransport(server), clock, secret="wrong-secret")


async def test_one_failed_token_request_fails_every_waiter_with_the_same_error() -> None:
    clock, server = FakeTime(), Server(accept=False)
    async with make(server, clock) as client:
        results = await asyncio.gather(
            *(client.get_campaign("CMP-000001") for _ in range(8)), return_exceptions=True
        )
        assert server.token_requests == 1
        assert all(isinstance(r, AuthError) for r in results)
        assert len({str(r) for r in results}) == 1
        assert "invalid_client" in str(results[0])
        assert server.api_requests == 0
        # a later call starts a new round
        with pytest.raises(AuthError):
            await client.get_campaign("CMP-000001")
        assert server.token_requests == 2


async def test_concurrent_requests_share_one_successful_round() -> None:
    clock, server = FakeTime(), Server(accept=True)
    async with make(server, clock) as client:
        await asyncio.gather(*(client.get_campaign("CMP-000001") for _ in range(8)))
    assert (server.token_requests, server.api_requests) == (1, 8)


async def test_a_cancelled_caller_does_not_cut_the_token_request_short() -> None:
    clock, server = FakeTime(), Server(accept=True)
    server.hold = asyncio.Event()
    async with make(server, clock) as client:
        first = asyncio.create_task(client.get_campaign("CMP-000001"))
        while server.token_requests == 0:
            await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        server.hold.set()
        await client.get_campaign("CMP-000001")  # joins the round still in flight
    assert server.token_requests == server.completed_token_requests == 1
    assert server.api_requests == 1
