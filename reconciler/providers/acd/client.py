"""The HTTP client of the CXone Admin (ACD) API: access-key login, base discovery, retries, pages.

Logs in with the access key (password grant at ``/auth/token``), again
shortly before the token expires and once on any 401; finds the API host
through ``/.well-known/cxone-configuration`` unless one is given; sends
``Accept: application/json`` on every call; reads skip/top pages,
following ``_links.next``. Politeness (Retry-After gate, token bucket,
circuit breaker, backoff) is the shared ``reconciler.cxone.resilience``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpx

from reconciler.cxone.resilience import (
    CircuitBreaker,
    ResilienceConfig,
    RetryGate,
    TokenBucket,
    full_jitter,
    parse_retry_after,
)
from reconciler.errors import (
    ApiError,
    AuthError,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from reconciler.providers.acd.options import AcdOptions
from reconciler.providers.acd.wire import count, error_text, unwrap
from reconciler.runtime import Runtime

__all__ = ["AcdClient", "claims", "error_from_response"]

log = logging.getLogger("reconciler.http")

_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
}


def claims(id_token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (it only tells us where the tenant lives)."""
    parts = id_token.split(".")
    if len(parts) < 2:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def error_from_response(response: httpx.Response) -> ApiError:
    """An ACD error answer as the error tree (``{error, error_description}`` and its dialects)."""
    status = response.status_code
    method, path = response.request.method, response.request.url.path
    try:
        body = response.json()
    except ValueError:
        body = None
    code, message = error_text(body)
    text = f"{method} {path}: {status} {code or ''}: {message or response.reason_phrase}".replace("  ", " ")
    hint = None
    if status == 403:
        hint = "the access key's user lacks a permission for this operation: check its security profile"
    elif status >= 500:
        hint = "the CXone API is failing; try again later"
    cls = _STATUS_ERRORS.get(status) or (TransientError if status >= 500 else ApiError)
    return cls(text, status=status, code=code, hint=hint)


class _Token:
    __slots__ = ("expires_at", "renew_at", "value")

    def __init__(self, value: str, now: float, lifetime: float, margin: float) -> None:
        self.value = value
        self.expires_at = now + lifetime
        self.renew_at = self.expires_at - min(margin, lifetime * 0.1)

    def __repr__(self) -> str:
        return "<token redacted>"


class AcdClient:
    """Every request to one business unit's ACD API goes through here."""

    def __init__(
        self,
        options: AcdOptions,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        runtime: Runtime | None = None,
        config: ResilienceConfig | None = None,
    ) -> None:
        self.options = options
        self.runtime = runtime or Runtime()
        self.config = config or ResilienceConfig(rate_per_second=options.rate_limit)
        self._gate = RetryGate(self.runtime)
        self._bucket = TokenBucket(self.config.rate_per_second, self.config.burst, self.runtime)
        self.breaker = CircuitBreaker(self.config, self.runtime)
        self._token: _Token | None = None
        self._login_lock = asyncio.Lock()
        self._api_base = options.api_base
        self.claims: dict[str, Any] = {}
        self.logins = 0
        self.sent: Counter[str] = Counter()
        self.rate_limited = 0
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            headers={"Accept": "application/json", "User-Agent": "cxone-reconciler"},
        )

    def __repr__(self) -> str:
        return f"AcdClient({self.options.label!r})"

    async def __aenter__(self) -> AcdClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._http.aclose()

    @property
    def root(self) -> str:
        """The ACD API root (known after the first login)."""
        if self._api_base is None:
            raise ConfigError("the ACD API base is not known before login")
        return f"{self._api_base}/inContactAPI/services/v{self.options.api_version}"

    # authentication and discovery

    async def _login(self) -> _Token:
        options = self.options
        form = {
            "grant_type": "password",
            "username": options.access_key_id,
            "password": options.access_key_secret.get_secret_value(),
        }
        headers = {}
        if options.client_id and options.client_secret:
            pair = f"{options.client_id}:{options.client_secret.get_secret_value()}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self.logins += 1
        self.sent["POST"] += 1
        try:
            response = await self._http.post(f"{options.auth_base}/auth/token", data=form, headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(
                f"cannot reach the CXone token endpoint: {type(exc).__name__}",
                hint=f"check CXONE_AUTH_BASE ({options.auth_base}) and the network",
            ) from None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), self.runtime.wall()) or 1.0
            raise RateLimited("the token endpoint is rate limiting", retry_after=wait)
        if response.status_code >= 500:
            raise TransientError(f"the token endpoint failed with {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            code, message = error_text(body)
            raise AuthError(
                f"CXone refused the access key {options.access_key_id!r}: "
                f"{response.status_code} {code or ''} {message or ''}".rstrip(),
                status=response.status_code,
                code=code,
                hint="check CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET (and that the key is active)",
            )
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        token = _Token(str(body["access_token"]), self.runtime.monotonic(), lifetime, options.login_margin)
        self._token = token
        self.claims = claims(str(body.get("id_token", "")))
        return token

    async def _discover(self) -> str:
        tenant = self.claims.get("tenantId")
        if not tenant:
            raise ConfigError(
                "the token carries no tenantId claim, so the API host cannot be discovered",
                hint="set CXONE_API_BASE to the business unit's API host, e.g. https://api-na1.niceincontact.com",
            )
        self.sent["GET"] += 1
        url = f"{self.options.auth_base}/.well-known/cxone-configuration"
        response = await self._http.get(url, params={"tenantId": tenant})
        try:
            endpoint = response.json().get("api_endpoint") if response.status_code == 200 else None
        except (ValueError, AttributeError):
            endpoint = None
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"discovery of tenant {tenant} answered {response.status_code} without an api_endpoint",
                hint="set CXONE_API_BASE to the business unit's API host",
            )
        return endpoint.rstrip("/")

    async def _bearer(self, *, discover: bool = True) -> _Token:
        async with self._login_lock:  # one login at a time, however many requests wait
            token = self._token
            if token is None or self.runtime.monotonic() >= token.renew_at:
                token = await self._login()
            if discover and self._api_base is None:
                self._api_base = await self._discover()
            return token

    async def login(self) -> None:
        """Log in (and discover the API host) now rather than on the first call."""
        await self._bearer()

    async def authenticate(self) -> None:
        """Obtain a token only (no discovery): whether the access key is accepted."""
        await self._bearer(discover=False)

    @property
    def api_base(self) -> str | None:
        """The API host: configured, or discovered by the first login; None before it."""
        return self._api_base

    # requests

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        retry_safe: bool | None = None,
    ) -> httpx.Response:
        """One API call (``path`` under the ACD root, or an absolute URL), with retries."""
        safe = method in ("GET", "PUT", "DELETE") if retry_safe is None else retry_safe
        config, runtime = self.config, self.runtime
        attempt = limited = 0
        relogged = False
        while True:
            attempt += 1
            await self._gate.wait()
            await self._bucket.acquire()
            self.breaker.before_request()
            try:
                token = await self._bearer()
                url = path if path.startswith(("http://", "https://")) else self.root + path
                self.sent[method] += 1
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token.value}"},
                )
            except RateLimited as exc:
                self.breaker.record(True)
                wait = exc.retry_after
            except (AuthError, ConfigError):
                self.breaker.record(True)
                raise
            except (httpx.TransportError, TransientError) as exc:
                self.breaker.record(False)
                unsent = isinstance(exc, httpx.ConnectError | TransientError)
                if (safe or unsent) and attempt < config.max_attempts:
                    await runtime.sleep(full_jitter(attempt, config, runtime.random))
                    continue
                if isinstance(exc, TransientError):
                    raise
                raise TransientError(
                    f"{method} {path}: {type(exc).__name__} after {attempt} attempt(s)",
                    hint="the CXone API could not be reached; check CXONE_API_BASE and the network",
                ) from None
            except BaseException:
                self.breaker.release()
                raise
            else:
                status = response.status_code
                self.breaker.record(status < 500)
                log.debug("%s %s -> %s (attempt %s)", method, response.request.url.path, status, attempt)
                if status == 401 and not relogged:
                    # expired early or revoked: log in again and send once more
                    relogged = True
                    self._token = None
                    attempt -= 1
                    continue
                if status < 400:
                    return response
                if status != 429:
                    if status >= 500 and safe and attempt < config.max_attempts:
                        await runtime.sleep(full_jitter(attempt, config, runtime.random))
                        continue
                    raise error_from_response(response)
                asked = parse_retry_after(response.headers.get("Retry-After"), runtime.wall())
                # "CXone sends no reliable Retry-After" [V:MCP]: without one, 2 s, 6 s, 18 s ... (capped)
                wait = asked if asked is not None else min(config.backoff_cap, 2.0 * 3.0**limited)
            self.rate_limited += 1
            limited += 1
            attempt -= 1
            if wait > config.max_retry_after or limited > config.max_rate_limited:
                raise RateLimited(
                    f"{method} {path}: rate limited {limited} time(s), asked to wait {wait:.0f} s",
                    retry_after=wait,
                    hint="the API's rate limit is exhausted; lower CXONE_RATE_LIMIT or run again later",
                )
            self._gate.block_for(wait)

    @staticmethod
    def body(response: httpx.Response, what: str) -> Any:
        """The decoded body; None for a 204 or an empty body."""
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                f"unexpected {what} from the CXone ACD API (not JSON)",
                hint="is CXONE_API_BASE the ACD API host? rerun with -v to trace",
            ) from None

    async def get(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        return self.body(await self.request("GET", path, params=params), what)

    async def send(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        return self.body(await self.request(method, path, **kwargs), what)

    async def pages(
        self, path: str, key: str, what: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a skip/top list; follows ``_links.next`` when the API gives one."""
        top = self.options.page_size
        skip = 0
        url: str = path
        query: dict[str, Any] | None = {**(params or {}), "skip": skip, "top": top}
        while True:
            body = await self.get(url, f"page of {what}s", query)
            if body is None:
                return
            payload = unwrap(body)
            if not isinstance(payload, dict) or not isinstance(payload.get(key) or [], list):
                raise ApiError(f"unexpected page of {what}s from the CXone ACD API")
            items = [i for i in payload.get(key) or [] if isinstance(i, dict)]
            yield items
            links = body.get("_links") if isinstance(body, dict) else None
            following = links.get("next") if isinstance(links, dict) else None
            total = count(payload.get("totalRecords"))
            skip += len(items)
            if isinstance(following, str) and following:
                url, query = following, None
            elif len(items) == top and (total is None or skip < total):
                query = {**(params or {}), "skip": skip, "top": top}
            else:
                return
            if not items:
                return

    async def all(
        self, path: str, key: str, what: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [item async for page in self.pages(path, key, what, params) for item in page]
