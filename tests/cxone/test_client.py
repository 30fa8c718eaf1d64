"""The CXone client against respx: auth, Retry-After, retries, breaker, redaction."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.errors import (
    ApiError,
    AuthError,
    CircuitOpen,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    TransientError,
)
from tests.fakes import FakeTime

BASE = "https://cxone.test"
SECRET = "s3cr&t=+ value/with%"
CAMPAIGN = {
    "id": "CMP-000001",
    "name": "Q3",
    "description": "",
    "dialerType": "PREDICTIVE",
    "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
    "contactListId": "CL-839201-AJF2",
    "dnc": {"enforceNational": True, "enforceLocal": True, "listIds": []},
    "schedule": None,
    "labels": {},
    "status": "STOPPED",
    "lastError": None,
    "version": 1,
    "createdAt": "2026-01-01T00:00:00Z",
    "updatedAt": "2026-01-01T00:00:00Z",
}


class Tokens:
    """A token endpoint that issues numbered tokens and records what it was sent."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.lifetime = lifetime
        self.issued: list[str] = []
        self.forms: list[dict[str, list[str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(parse_qs(request.content.decode()))
        token = f"tok-{len(self.issued) + 1}-abcdef"
        self.issued.append(token)
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}
        )


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def tokens(mock: respx.MockRouter) -> Tokens:
    issuer = Tokens()
    mock.post("/oauth/token").mock(side_effect=issuer)
    return issuer


def make_client(clock: FakeTime, **config: float) -> CxoneClient:
    auth = ClientCredentials(
        token_url=f"{BASE}/oauth/token",
        client_id="reconciler-ci",
        client_secret=SecretStr(SECRET),
        scope="campaign:read campaign:write",
        clock=clock.monotonic,
        wall=clock.wall,
    )
    settings = ResilienceConfig(**{"rate_per_second": 0, **config})  # type: ignore[arg-type]
    return CxoneClient(base_url=BASE, auth=auth, config=settings, runtime=clock.runtime)


@pytest.fixture
async def client(clock: FakeTime) -> AsyncIterator[CxoneClient]:
    async with make_client(clock) as c:
        yield c


def campaign_route(mock: respx.MockRouter, *responses: httpx.Response) -> respx.Route:
    route = mock.get("/api/campaigns/CMP-000001")
    route.side_effect = list(responses) if len(responses) > 1 else None
    if len(responses) == 1:
        route.return_value = responses[0]
    return route


def invalid_token() -> httpx.Response:
    return httpx.Response(
        401,
        json={"errorCode": "INVALID_TOKEN", "errorMessage": "expired"},
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def ok() -> httpx.Response:
    return httpx.Response(200, json=CAMPAIGN, headers={"ETag": '"1"'})


# --- OAuth2 -------------------------------------------------------------------------------


async def test_the_token_form_is_url_encoded(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    campaign_route(mock, ok())
    await client.get_campaign("CMP-000001")
    assert tokens.forms == [
        {
            "grant_type": ["client_credentials"],
            "client_id": ["reconciler-ci"],
            "client_secret": [SECRET],
            "scope": ["campaign:read campaign:write"],
        }
    ]
    assert mock.calls.last.request.headers["Authorization"] == "Bearer tok-1-abcdef"


async def test_fifty_concurrent_calls_as_the_token_expires_cause_one_token_request(
    client: CxoneClient, clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    campaign_route(mock, ok())
    await client.get_campaign("CMP-000001")
    clock.advance(3600 - 300 + 1)  # inside the 5-minute refresh margin
    await asyncio.gather(*(client.get_campaign("CMP-000001") for _ in range(50)))
    assert tokens.issued == ["tok-1-abcdef", "tok-2-abcdef"]
    used = Counter(
        c.request.headers.get("Authorization") for c in mock.calls if c.request.url.path != "/oauth/token"
    )
    assert used == {"Bearer tok-1-abcdef": 1, "Bearer tok-2-abcdef": 50}


async def test_a_cached_token_is_reused_until_five_minutes_before_expiry(
    client: CxoneClient, clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    campaign_route(mock, ok())
    await client.get_campaign("CMP-000001")
    clock.advance(3600 - 301)
    await client.get_campaign("CMP-000001")
    assert len(tokens.issued) == 1
    clock.advance(2)
    await client.get_campaign("CMP-000001")
    assert len(tokens.issued) == 2


async def test_short_lived_tokens_refresh_proportionally_earlier(
    clock: FakeTime, mock: respx.MockRouter
) -> None:
    issuer = Tokens(lifetime=60)
    mock.post("/oauth/token").mock(side_effect=issuer)
    campaign_route(mock, ok())
    async with make_client(clock) as client:
        await client.get_campaign("CMP-000001")
        clock.advance(50)
        await client.get_campaign("CMP-000001")
        assert len(issuer.issued) == 1
        clock.advance(5)  # past 90 % of 60 s
        await client.get_campaign("CMP-000001")
        assert len(issuer.issued) == 2


async def test_invalid_token_forces_one_refresh_and_one_replay(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    expired = invalid_token()
    route = campaign_route(mock, expired, ok())
    campaign = await client.get_campaign("CMP-000001")
    assert campaign.id == "CMP-000001"
    assert len(tokens.issued) == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer tok-1-abcdef",
        "Bearer tok-2-abcdef",
    ]


async def test_a_second_invalid_token_is_final(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    expired = invalid_token()
    route = campaign_route(mock, expired)
    with pytest.raises(AuthError) as caught:
        await client.get_campaign("CMP-000001")
    assert route.call_count == 2
    assert len(tokens.issued) == 2
    assert "CXONE_CLIENT_ID" in str(caught.value)


async def test_invalid_client_fails_at_once_naming_the_credentials(
    client: CxoneClient, mock: respx.MockRouter
) -> None:
    token = mock.post("/oauth/token").respond(401, json={"error": "invalid_client"})
    with pytest.raises(AuthError) as caught:
        await client.get_campaign("CMP-000001")
    assert token.call_count == 1
    assert "CXONE_CLIENT_ID and CXONE_CLIENT_SECRET" in str(caught.value)


async def test_invalid_scope_fails_at_once_naming_the_scope(
    client: CxoneClient, mock: respx.MockRouter
) -> None:
    mock.post("/oauth/token").respond(400, json={"error": "invalid_scope"})
    with pytest.raises(AuthError) as caught:
        await client.get_campaign("CMP-000001")
    assert "campaign:read campaign:write" in str(caught.value)
    assert "CXONE_SCOPE" in str(caught.value)


async def test_insufficient_scope_names_the_missing_scope(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = mock.get("/api/campaigns/CMP-000001/statistics").respond(
        403, json={"errorCode": "INSUFFICIENT_SCOPE", "errorMessage": "needs statistics:read"}
    )
    with pytest.raises(PermissionDenied) as caught:
        await client.statistics("CMP-000001")
    assert route.call_count == 1
    assert "statistics:read" in str(caught.value) and "CXONE_SCOPE" in str(caught.value)


# --- 429 and Retry-After ----------------------------------------------------------------


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_after_retry_after_nothing_is_sent_until_it_passes(
    client: CxoneClient, clock: FakeTime, mock: respx.MockRouter, tokens: Tokens, form: str
) -> None:
    sent_at: list[float] = []
    header = (
        "2"
        if form == "seconds"
        else format_datetime(datetime.fromtimestamp(clock.wall() + 2, UTC), usegmt=True)
    )
    replies = iter(
        [
            httpx.Response(
                429,
                headers={"Retry-After": header},
                json={"errorCode": "RATE_LIMITED", "errorMessage": "slow down"},
            )
        ]
    )

    def campaign(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return next(replies, ok())

    def realtime(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return httpx.Response(
            200, json={"answerRate": 0.3, "abandonRate": 0.01, "activeCalls": 1, "totalCalls": 9}
        )

    mock.get("/api/campaigns/CMP-000001").mock(side_effect=campaign)
    mock.get("/api/campaigns/CMP-000001/realtime").mock(side_effect=realtime)
    start = clock.now
    await asyncio.gather(client.get_campaign("CMP-000001"), client.realtime("CMP-000001"))
    first, *later = sorted(sent_at)
    assert first == start
    assert len(later) == 2
    assert all(t >= start + 2 for t in later)


async def test_a_retry_after_above_two_minutes_fails_at_once(
    client: CxoneClient, clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = campaign_route(
        mock,
        httpx.Response(
            429, headers={"Retry-After": "600"}, json={"errorCode": "RATE_LIMITED", "errorMessage": "x"}
        ),
    )
    with pytest.raises(RateLimited) as caught:
        await client.get_campaign("CMP-000001")
    assert route.call_count == 1
    assert clock.sleeps == []
    assert "wait 600 s" in str(caught.value) and "more than the 120 s" in str(caught.value)


# --- retries and the breaker --------------------------------------------------------------


async def test_with_thirty_percent_random_5xx_every_call_completes_within_its_attempt_bound(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    import random

    rng = random.Random(11)
    attempts: Counter[str] = Counter()

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts[request.url.path] += 1
        if rng.random() < 0.3:
            return httpx.Response(
                rng.choice([500, 502, 503, 504]),
                json={"errorCode": "UPSTREAM_UNAVAILABLE", "errorMessage": "x"},
            )
        return ok()

    mock.get(url__regex=r"/api/campaigns/CMP-\d+$").mock(side_effect=flaky)
    async with make_client(clock) as client:
        results = await asyncio.gather(
            *(client.get_campaign(f"CMP-{i:06d}") for i in range(200)), return_exceptions=True
        )
    bound = client.config.max_attempts
    assert len(attempts) == 200
    assert max(attempts.values()) <= bound
    assert sum(attempts.values()) > 200  # some were retried
    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, TransientError) and not isinstance(f, CircuitOpen) for f in failures)
    assert all(
        attempts[f"/api/campaigns/CMP-{i:06d}"] == bound
        for i, r in enumerate(results)
        if isinstance(r, BaseException)
    )
    assert len(failures) <= 2


async def test_with_every_call_failing_the_breaker_opens_sends_nothing_then_probes(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    healthy = False

    def outage(request: httpx.Request) -> httpx.Response:
        if healthy:
            return ok()
        return httpx.Response(503, json={"errorCode": "UPSTREAM_UNAVAILABLE", "errorMessage": "down"})

    route = mock.get("/api/campaigns/CMP-000001").mock(side_effect=outage)
    async with make_client(clock) as client:
        with pytest.raises(CircuitOpen):
            for _ in range(5):
                with pytest.raises(TransientError):
                    await client.get_campaign("CMP-000001")
                if client.breaker.state == "open":
                    await client.get_campaign("CMP-000001")
        sent = route.call_count
        assert client.breaker.state == "open"
        for _ in range(10):
            with pytest.raises(CircuitOpen) as caught:
                await client.get_campaign("CMP-000001")
        assert route.call_count == sent  # nothing sent while open
        assert "CXone API unavailable, retrying after" in str(caught.value)
        clock.advance(client.config.breaker_open_for + 1)
        healthy = True
        await client.get_campaign("CMP-000001")  # the half-open probe
        assert route.call_count == sent + 1
        assert client.breaker.state == "half-open"
        await client.get_campaign("CMP-000001")
        assert client.breaker.state == "closed"


async def test_a_failed_probe_opens_the_breaker_again(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = campaign_route(
        mock, httpx.Response(503, json={"errorCode": "UPSTREAM_UNAVAILABLE", "errorMessage": "x"})
    )
    async with make_client(clock, max_attempts=1) as client:
        for _ in range(client.config.breaker_min_calls):
            with pytest.raises(TransientError):
                await client.get_campaign("CMP-000001")
        assert client.breaker.state == "open"
        clock.advance(client.config.breaker_open_for + 1)
        with pytest.raises(TransientError) as caught:
            await client.get_campaign("CMP-000001")
        assert not isinstance(caught.value, CircuitOpen)
        assert client.breaker.state == "open"
        assert route.call_count == client.config.breaker_min_calls + 1


async def test_backoff_is_exponential_with_full_jitter(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    campaign_route(mock, *[httpx.Response(502, json={"errorCode": "X", "errorMessage": "x"})] * 5, ok())
    async with make_client(clock) as client:
        await client.get_campaign("CMP-000001")
    config = client.config
    assert len(clock.sleeps) == 5
    for attempt, slept in enumerate(clock.sleeps, start=1):
        assert 0 <= slept < min(config.backoff_cap, config.backoff_base * 2 ** (attempt - 1))


async def test_a_dropped_connection_is_retried_for_a_get(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = mock.get("/api/campaigns/CMP-000001")
    route.side_effect = [httpx.ReadError("connection reset"), ok()]
    assert (await client.get_campaign("CMP-000001")).version == 1
    assert route.call_count == 2


async def test_a_create_with_an_idempotency_key_is_retried_with_the_same_key(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = mock.post("/api/campaigns")
    route.side_effect = [
        httpx.ReadError("reset"),
        httpx.Response(503, json={"errorCode": "X", "errorMessage": "x"}),
        httpx.Response(201, json=CAMPAIGN),
    ]
    await client.create_campaign({"name": "Q3"}, idempotency_key="cxr-abc")
    assert [c.request.headers["Idempotency-Key"] for c in route.calls] == ["cxr-abc"] * 3


async def test_patch_sends_if_match_and_a_merge_patch(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    route = mock.patch("/api/campaigns/CMP-000001").respond(200, json=CAMPAIGN)
    await client.update_campaign("CMP-000001", {"pacing": {"callsPerMinute": 5}}, version=7)
    request = route.calls.last.request
    assert request.headers["If-Match"] == '"7"'
    assert request.headers["Content-Type"] == "application/merge-patch+json"


async def test_a_version_mismatch_is_a_typed_error(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    mock.delete("/api/campaigns/CMP-000001").respond(
        412, json={"errorCode": "VERSION_MISMATCH", "errorMessage": "moved"}
    )
    with pytest.raises(PreconditionFailed) as caught:
        await client.delete_campaign("CMP-000001", version=3)
    assert "changed since its version was read" in str(caught.value)
    assert caught.value.hint is not None and "plan" not in caught.value.hint  # no CLI vocabulary


async def test_lists_follow_cursors_to_the_end(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        assert request.url.params["limit"] == "100"
        if cursor is None:
            return httpx.Response(200, json={"items": [CAMPAIGN], "nextCursor": "c1"})
        return httpx.Response(200, json={"items": [{**CAMPAIGN, "id": "CMP-000002"}], "nextCursor": None})

    mock.get("/api/campaigns").mock(side_effect=page)
    assert [c.id for c in await client.list_campaigns()] == ["CMP-000001", "CMP-000002"]


async def test_the_token_bucket_spaces_requests(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens
) -> None:
    sent_at: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return ok()

    mock.get("/api/campaigns/CMP-000001").mock(side_effect=record)
    start = clock.now
    async with make_client(clock, rate_per_second=10, burst=2, adaptive=False) as client:
        await asyncio.gather(*(client.get_campaign("CMP-000001") for _ in range(12)))
    # 12 requests at 10/s after a burst of 2: the last leaves 1 s after the start
    assert len(sent_at) == 12
    assert sent_at[-1] - start == pytest.approx(1.0)
    assert all(b - a <= 0.1 + 1e-6 for a, b in itertools.pairwise(sent_at))


# --- secrets never leak ---------------------------------------------------------------------


async def test_no_secret_or_token_appears_in_output_logs_errors_or_reprs(
    clock: FakeTime, mock: respx.MockRouter, tokens: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root, http_log = logging.getLogger(), logging.getLogger("reconciler.http")
    root.addHandler(handler)
    old_level, old_http_level = root.level, http_log.level
    root.setLevel(logging.DEBUG)
    http_log.setLevel(logging.DEBUG)
    captured: list[str] = []
    expired = invalid_token()
    try:
        campaign_route(
            mock, expired, ok(), httpx.Response(503, json={"errorCode": "X", "errorMessage": "x"}), ok()
        )
        mock.get("/api/campaigns/CMP-000001/statistics").respond(
            403, json={"errorCode": "INSUFFICIENT_SCOPE", "errorMessage": "x"}
        )
        async with make_client(clock) as client:
            await client.get_campaign("CMP-000001")
            await client.get_campaign("CMP-000001")
            try:
                await client.statistics("CMP-000001")
            except PermissionDenied as exc:
                captured += [str(exc), repr(exc)]
            captured += [
                repr(client),
                repr(client.auth),
                repr(client.auth._token),
                repr(mock.calls.last.request.headers),
            ]
            mock.post("/oauth/token").respond(401, json={"error": "invalid_client"})
            clock.advance(4000)
            try:
                await client.get_campaign("CMP-000001")
            except AuthError as exc:
                captured += [str(exc), repr(exc)]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        http_log.setLevel(old_http_level)
    out = capsys.readouterr()
    text = "\n".join([stream.getvalue(), out.out, out.err, *captured])
    assert "GET /api/campaigns/CMP-000001 -> 200" in stream.getvalue()
    assert len(tokens.issued) == 2
    for secret in [SECRET, *tokens.issued]:
        assert secret not in text


async def test_an_answer_that_is_not_the_cxone_api_is_a_clear_error(
    client: CxoneClient, mock: respx.MockRouter, tokens: Tokens
) -> None:
    mock.get("/api/campaigns/CMP-000001").respond(200, text="<html>login page</html>")
    mock.get("/api/campaigns").respond(200, json={"unexpected": True})
    with pytest.raises(ApiError, match=r"unexpected campaign \(not JSON\) from the CXone API"):
        await client.get_campaign("CMP-000001")
    with pytest.raises(ApiError, match="unexpected page of campaigns"):
        await client.list_campaigns()
