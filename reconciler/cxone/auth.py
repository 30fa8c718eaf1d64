"""OAuth2 client credentials as an ``httpx.Auth``.

One cached token for every request, refreshed shortly before expiry. Token
requests are single-flight: one fetch runs at a time, in its own task, and
every request that needs a token waits for that one fetch and gets its
token or its error; a failed round is not repeated for the waiters (a later
call starts a new round). A caller that is cancelled leaves the fetch to
finish, so the token endpoint never sees a half-sent request. A 401
``invalid_token`` forces one refresh and one replay. The secret and the
token never appear in any repr, message or log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import NoReturn

import httpx
from pydantic import SecretStr

from reconciler.cxone.errors import error_from_transport
from reconciler.cxone.resilience import ATTEMPT, log, parse_retry_after
from reconciler.cxone.urls import redact_url
from reconciler.errors import AuthError, RateLimited, TransientError

REFRESH_MARGIN = 300.0
"""Refresh this many seconds before expiry ..."""
REFRESH_FRACTION = 0.1
"""... or at 90 % of the lifetime, whichever comes first (short-lived tokens)."""

TokenSender = Callable[[httpx.Request], Awaitable[httpx.Response]]
"""Sends a token request and returns its response, body read (see ``ClientCredentials.bind``)."""


class _Token:
    __slots__ = ("expires_at", "refresh_at", "value")

    def __init__(self, value: str, issued_at: float, lifetime: float) -> None:
        self.value = value
        self.expires_at = issued_at + lifetime
        self.refresh_at = self.expires_at - min(REFRESH_MARGIN, lifetime * REFRESH_FRACTION)

    def __repr__(self) -> str:
        return "<token redacted>"


class ClientCredentials(httpx.Auth):
    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self._clock = clock
        self._wall = wall
        self._token: _Token | None = None
        self._round: asyncio.Task[_Token] | None = None
        self._send: TokenSender | None = None
        self.token_requests = 0
        self.granted_scope: str | None = None
        """The scopes the last token was granted, when the token endpoint says (``scope``)."""

    def bind(self, send: TokenSender) -> None:
        """Token requests go out through ``send`` (the client binds its own HTTP stack)."""
        self._send = send

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={redact_url(self.token_url)!r}, client_id={self.client_id!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("the CXone client is asynchronous")

    def _fresh(self) -> _Token | None:
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    def _token_request(self) -> httpx.Request:
        self.token_requests += 1
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        if self.scope:
            form["scope"] = self.scope
        return httpx.Request(
            "POST",
            self.token_url,
            data=form,
            headers={"Accept": "application/json"},
            extensions={"reconciler_token": True},
        )

    def _accept(self, response: httpx.Response) -> _Token:
        if response.status_code == 200:
            try:
                body = response.json()
                token = _Token(str(body["access_token"]), self._clock(), float(body["expires_in"]))
                granted = body.get("scope")
            except (ValueError, KeyError, TypeError):
                raise AuthError(
                    "the token endpoint answered 200 without access_token and expires_in",
                    hint=f"check CXONE_TOKEN_URL ({redact_url(self.token_url)})",
                ) from None
            self._token = token
            self.granted_scope = granted if isinstance(granted, str) else None
            return token
        self._refuse(response)

    def _refuse(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        try:
            error = str(response.json().get("error", ""))
        except ValueError:
            error = ""
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), self._wall()) or 1.0
            raise RateLimited("the token endpoint is rate limiting", retry_after=wait)
        if status >= 500:
            raise TransientError(f"the token endpoint failed with {status}", status=status)
        if error == "invalid_client" or status == 401:
            raise AuthError(
                f"the token endpoint rejected client id {self.client_id!r} (invalid_client)",
                status=status,
                code="invalid_client",
                hint="check CXONE_CLIENT_ID and CXONE_CLIENT_SECRET",
            )
        if error == "invalid_scope":
            raise AuthError(
                f"the client may not be granted scope '{self.scope}' (invalid_scope)",
                status=status,
                code="invalid_scope",
                hint="ask the CXone admin to grant the scopes to the API client, or narrow CXONE_SCOPE",
            )
        raise AuthError(
            f"the token endpoint refused the request: {status} {error or 'no error code'}",
            status=status,
            code=error or None,
            hint=f"check CXONE_TOKEN_URL ({redact_url(self.token_url)})",
        )

    async def _current(self) -> _Token:
        """A fresh token, or the one fetch in flight (started if there is none)."""
        token = self._fresh()
        if token is not None:
            return token
        if self._round is None:
            self._round = asyncio.create_task(self._fetch())
            self._round.add_done_callback(_retrieve)
        return await asyncio.shield(self._round)

    async def _fetch(self) -> _Token:
        try:
            if self._send is None:
                raise RuntimeError("ClientCredentials.bind() was never called")
            request = self._token_request()
            started = self._clock()
            try:
                response = await self._send(request)
            except httpx.TransportError as exc:
                failure = error_from_transport(exc, token=True)
                elapsed_ms = (self._clock() - started) * 1000
                log.debug(
                    "POST %s -> %s after %.0f ms (attempt %s)",
                    request.url.path,
                    failure.cause,
                    elapsed_ms,
                    ATTEMPT.get(),
                )
                raise failure from None
            return self._accept(response)
        finally:
            self._round = None

    async def ensure(self) -> None:
        """Obtain a token now (or keep the fresh one) rather than on the first call."""
        await self._current()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._current()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != 401 or "invalid_token" not in response.headers.get("WWW-Authenticate", ""):
            return
        if self._token is token:  # nobody refreshed since this token was used
            self._token = None
        token = await self._current()
        request.headers["Authorization"] = f"Bearer {token.value}"
        yield request


def _retrieve(task: asyncio.Task[_Token]) -> None:
    """A round whose waiters were all cancelled must not log 'exception never retrieved'."""
    if not task.cancelled():
        task.exception()
