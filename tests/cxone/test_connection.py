"""Failed connections: one clear error naming the URL tried, the cause and the setting to check."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.errors import BadEndpoint, CircuitOpen, TransientError, Unreachable
from tests.fakes import FakeTime

API = "http://127.0.0.1:9"
TOKEN = "http://127.0.0.1:10/oauth/token"


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make(
    clock: FakeTime,
    *,
    base: str = API,
    token_url: str = TOKEN,
    transport: httpx.AsyncBaseTransport | None = None,
    **config: float,
) -> CxoneClient:
    auth = ClientCredentials(
        token_url=token_url,
        client_id="ci",
        client_secret=SecretStr("s3cret-value"),
        scope="",
        clock=clock.monotonic,
        wall=clock.wall,
    )
    settings = ResilienceConfig(**{"rate_per_second": 0, **config})  # type: ignore[arg-type]
    return CxoneClient(base_url=base, auth=auth, transport=transport, config=settings, runtime=clock.runtime)


def api_fails(error: Callable[[httpx.Request], Exception]) -> httpx.MockTransport:
    """A token endpoint that works and an API whose connections fail with ``error``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-q", "expires_in": 3600})
        raise error(request)

    return httpx.MockTransport(handler)


@pytest.fixture
def trace(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    return caplog


async def test_a_closed_token_port_names_the_token_url_and_traces_every_attempt(
    trace: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    base = f"http://127.0.0.1:{port}"
    async with make(FakeTime(), base=base, token_url=f"{base}/oauth/token", max_attempts=3) as client:
        with pytest.raises(Unreachable) as caught:
            await client.get_campaign("CMP-1")
    error = caught.value
    assert error.message == (
        f"cannot reach the CXone token endpoint at {base}/oauth/token: connection refused (after 3 attempts)"
    )
    assert error.hint is not None and "CXONE_TOKEN_URL" in error.hint and "network" in error.hint
    assert "circuit" not in str(error) and "unavailable" not in str(error)
    lines = [r.getMessage() for r in trace.records]
    assert [line.split(" after ")[0] for line in lines] == ["POST /oauth/token -> connection refused"] * 3
    assert [line.rsplit("(", 1)[1] for line in lines] == ["attempt 1)", "attempt 2)", "attempt 3)"]


async def test_a_closed_api_port_names_the_api_base(trace: pytest.LogCaptureFixture) -> None:
    base = f"http://127.0.0.1:{closed_port()}"

    def token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": "tok-q", "expires_in": 3600})

    class Split(httpx.AsyncBaseTransport):
        """The token endpoint answers in process; API requests go to the real (closed) port."""

        def __init__(self) -> None:
            self.real = httpx.AsyncHTTPTransport()
            self.mock = httpx.MockTransport(token)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/oauth/token":
                return await self.mock.handle_async_request(request)
            return await self.real.handle_async_request(request)

        async def aclose(self) -> None:
            await self.real.aclose()

    async with make(FakeTime(), base=base, transport=Split(), max_attempts=2) as client:
        with pytest.raises(Unreachable) as caught:
            await client.list_campaigns()
    assert caught.value.message == (
        f"cannot reach the CXone API at {base}/api/campaigns: connection refused (after 2 attempts)"
    )
    assert caught.value.hint is not None and "CXONE_API_BASE" in caught.value.hint
    failed = [r.getMessage() for r in trace.records if "refused" in r.getMessage()]
    assert [line.split(" after ")[0] for line in failed] == ["GET /api/campaigns -> connection refused"] * 2
    assert [line.rsplit("(", 1)[1] for line in failed] == ["attempt 1)", "attempt 2)"]


@pytest.mark.parametrize(
    ("error", "cause", "kind", "sends"),
    [
        (
            lambda r: httpx.ConnectError("[Errno 111] Connection refused", request=r),
            "connection refused",
            Unreachable,
            6,
        ),
        (lambda r: httpx.ConnectTimeout("timed out", request=r), "connection timed out", Unreachable, 6),
        (lambda r: httpx.ReadTimeout("timed out", request=r), "no answer in time (timeout)", Unreachable, 6),
        (
            lambda r: httpx.ConnectError("[Errno -2] Name or service not known", request=r),
            "host name not resolved",
            BadEndpoint,
            1,
        ),
    ],
)
async def test_each_cause_is_named_with_its_fix(
    error: Callable[[httpx.Request], Exception], cause: str, kind: type[Exception], sends: int
) -> None:
    sent: list[str] = []

    def failing(request: httpx.Request) -> Exception:
        sent.append(request.url.path)
        return error(request)

    async with make(FakeTime(), transport=api_fails(failing)) as client:
        with pytest.raises(kind) as caught:
            await client.get_campaign("CMP-1")
    assert isinstance(caught.value, Unreachable | BadEndpoint)
    assert caught.value.cause == cause
    assert caught.value.url == f"{API}/api/campaigns/CMP-1"
    assert f"cannot reach the CXone API at {API}/api/campaigns/CMP-1: {cause}" in caught.value.message
    assert len(sent) == sends


async def test_a_refused_tls_certificate_fails_at_once_and_says_so() -> None:
    def tls(request: httpx.Request) -> Exception:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
        except ssl.SSLError as cause:
            error = httpx.ConnectError(str(cause), request=request)
            error.__cause__ = cause
            return error

    async with make(FakeTime(), transport=api_fails(tls)) as client:
        with pytest.raises(BadEndpoint) as caught:
            await client.get_campaign("CMP-1")
    assert caught.value.cause == "TLS certificate not accepted"
    assert caught.value.hint is not None and "certificate" in caught.value.hint
    assert "CXONE_API_BASE" in caught.value.hint


async def test_when_refusals_open_the_breaker_its_error_still_names_the_cause() -> None:
    def refused(request: httpx.Request) -> Exception:
        return httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async with make(FakeTime(), transport=api_fails(refused), max_attempts=1) as client:
        for _ in range(client.config.breaker_min_calls):
            with pytest.raises(TransientError):
                await client.get_campaign("CMP-1")
        with pytest.raises(CircuitOpen) as caught:
            await client.get_campaign("CMP-1")
    assert caught.value.message.startswith(f"cannot reach the CXone API at {API}/api/campaigns/CMP-1: ")
    assert "connection refused; nothing is sent before" in caught.value.message
    assert "unavailable" not in caught.value.message
    assert caught.value.hint is not None and "CXONE_API_BASE" in caught.value.hint
