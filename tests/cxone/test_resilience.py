"""Resilient.send, the one retry policy: attempts, budget, 429 holds, the breaker's clock."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr

from reconciler.cxone import client as client_module
from reconciler.cxone import errors as cxone_errors
from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig, Resilient, Runtime
from reconciler.errors import CircuitOpen, TransientError
from tests.fakes import FakeTime

URL = "http://127.0.0.1:9/api/campaigns/CMP-1"


def answers(*statuses: int) -> tuple[Callable[[], Awaitable[httpx.Response]], list[int]]:
    """A request function answering the given statuses in turn; counts its sends."""
    queue: Iterator[int] = iter(statuses)
    sent: list[int] = []

    async def send() -> httpx.Response:
        status = next(queue)
        sent.append(status)
        headers = {"Retry-After": "1"} if status == 429 else {}
        return httpx.Response(status, headers=headers, json={}, request=httpx.Request("GET", URL))

    return send, sent


def resilient(clock: FakeTime, **config: float) -> Resilient:
    settings = ResilienceConfig(**{"rate_per_second": 0, **config})  # type: ignore[arg-type]
    return Resilient(config=settings, runtime=clock.runtime)


async def test_429s_use_up_no_attempt_but_5xx_do() -> None:
    clock = FakeTime()
    send, sent = answers(429, 429, 503, 200)
    response = await resilient(clock, max_attempts=2).send(send, what="GET /api/x", retry=True)
    assert response.status_code == 200
    assert sent == [429, 429, 503, 200]
    send, sent = answers(503, 429, 503, 200)
    with pytest.raises(TransientError):
        await resilient(clock, max_attempts=2).send(send, what="GET /api/x", retry=True)
    assert sent == [503, 429, 503]


async def test_a_5xx_is_not_retried_unless_the_request_may_be_sent_twice() -> None:
    send, sent = answers(503, 200)
    with pytest.raises(TransientError):
        await resilient(FakeTime()).send(send, what="POST /api/x", retry=False)
    assert sent == [503]


async def test_a_connection_that_never_opened_is_retried_whatever_the_method() -> None:
    calls = 0

    async def send() -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=httpx.Request("POST", URL))
        return httpx.Response(201, json={}, request=httpx.Request("POST", URL))

    response = await resilient(FakeTime()).send(send, what="POST /api/x", retry=False)
    assert (response.status_code, calls) == (201, 3)


async def test_the_trace_numbers_every_attempt_including_those_after_a_429(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    clock = FakeTime()
    replies = iter(
        [
            httpx.Response(429, headers={"Retry-After": "1"}, json={}),
            httpx.Response(503, json={}),
            httpx.Response(200, json={"items": [], "nextCursor": None}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-zz", "expires_in": 3600})
        return next(replies)

    auth = ClientCredentials(
        token_url="http://127.0.0.1:9/oauth/token",
        client_id="ci",
        client_secret=SecretStr("s"),
        scope="",
        clock=clock.monotonic,
        wall=clock.wall,
    )
    async with CxoneClient(
        base_url="http://127.0.0.1:9",
        auth=auth,
        transport=httpx.MockTransport(handler),
        config=ResilienceConfig(rate_per_second=0),
        runtime=clock.runtime,
    ) as client:
        await client.list_campaigns()
    lines = [r.getMessage() for r in caplog.records if "/api/campaigns" in r.getMessage()]
    assert [line.split(" -> ")[1].split()[0] for line in lines] == ["429", "503", "200"]
    assert [line.rsplit("(", 1)[1] for line in lines] == ["attempt 1)", "attempt 2)", "attempt 3)"]


async def test_the_breaker_tells_the_time_through_the_injected_runtime() -> None:
    clock = FakeTime()
    asked: list[float] = []

    def localtime(seconds: float) -> time.struct_time:
        asked.append(seconds)
        return time.gmtime(0)

    runtime = Runtime(
        monotonic=clock.monotonic,
        wall=clock.wall,
        sleep=clock.sleep,
        random=clock.rng.random,
        localtime=localtime,
    )
    policy = Resilient(config=ResilienceConfig(rate_per_second=0, max_attempts=1), runtime=runtime)
    for _ in range(policy.config.breaker_min_calls):
        send, _ = answers(503)
        with pytest.raises(TransientError):
            await policy.send(send, what="GET /api/x", retry=True)
    send, _ = answers(200)
    with pytest.raises(CircuitOpen) as caught:
        await policy.send(send, what="GET /api/x", retry=True)
    assert asked == [clock.wall() + policy.config.breaker_open_for]
    assert "retrying after 00:00:00" in str(caught.value)
    assert "last failure: GET /api/campaigns/CMP-1: 503" in str(caught.value)


def test_error_mapping_lives_in_cxone_errors_and_the_client_re_exports_it() -> None:
    assert client_module.error_from_response is cxone_errors.error_from_response
    response = httpx.Response(
        412, json={"errorCode": "VERSION_MISMATCH"}, request=httpx.Request("PATCH", URL)
    )
    error = cxone_errors.error_from_response(response)
    assert error.hint is not None and "plan" not in error.hint
