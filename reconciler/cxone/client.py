"""The typed async CXone client: the only code that speaks HTTP to the API.

Every request passes the Retry-After gate, the circuit breaker and the
token bucket; retries follow ``ResilienceConfig``. ``error_from_response``
is the one place that maps a status code to the error tree.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.models import (
    ApiCampaign,
    CampaignSummary,
    ContactList,
    DncList,
    RealtimeStats,
    StatusAck,
)
from reconciler.cxone.resilience import (
    CircuitBreaker,
    ResilienceConfig,
    RetryGate,
    Runtime,
    TokenBucket,
    full_jitter,
    parse_retry_after,
)
from reconciler.errors import (
    ApiError,
    AuthError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    TransientError,
)

log = logging.getLogger("reconciler.http")

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 100
_NO_AUTH = httpx.Auth()
_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: InvalidRequest,
}


def required_scope(method: str, path: str) -> str:
    if path.startswith("/api/contactlists"):
        return "contactlist:read"
    if path.startswith("/api/dnclists"):
        return "dnc:read"
    if path.endswith(("/realtime", "/statistics")):
        return "statistics:read"
    return "campaign:read" if method == "GET" else "campaign:write"


def _hint(status: int, code: str | None, method: str, path: str) -> str | None:
    if status == 403:
        scope = required_scope(method, path)
        return f"the token lacks scope {scope}: grant it to the API client and include it in CXONE_SCOPE"
    if status == 401:
        return "CXone rejected a freshly issued token; check CXONE_CLIENT_ID, CXONE_CLIENT_SECRET"
    if status == 412:
        return "the campaign changed since it was read; run plan again"
    if code == "CAMPAIGN_ACTIVE":
        return "stop the campaign before changing dialerType, contactListId, dnc or schedule"
    if status >= 500:
        return "the CXone API is failing; try again later"
    return None


def error_from_response(response: httpx.Response) -> ApiError:
    """The one mapping from an HTTP error response to the error tree."""
    status = response.status_code
    method, path = response.request.method, response.request.url.path
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("errorCode")
    message = body.get("errorMessage") or response.reason_phrase
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    text = f"{method} {path}: {status} {code or ''}: {message}".replace("  ", " ")
    if details:
        text += " (" + "; ".join(f"{d.get('field')}: {d.get('message')}" for d in details) + ")"
    cls = _STATUS_ERRORS.get(status) or (TransientError if status >= 500 else ApiError)
    return cls(text, status=status, code=code, details=details, hint=_hint(status, code, method, path))


class CxoneClient:
    """Typed calls for every operation of cxone-api.yaml."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: ClientCredentials,
        transport: httpx.AsyncBaseTransport | None = None,
        config: ResilienceConfig | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.config = config or ResilienceConfig()
        self.runtime = runtime or Runtime()
        self.auth = auth
        self._gate = RetryGate(self.runtime)
        self._bucket = TokenBucket(self.config.rate_per_second, self.config.burst, self.runtime)
        self.breaker = CircuitBreaker(self.config, self.runtime)
        self.sent: Counter[str] = Counter()
        self.rate_limited = 0
        """429 answers received (each held every request until its Retry-After)."""
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            headers={"Accept": "application/json", "User-Agent": "cxone-reconciler"},
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        auth.bind(self._send_token_request)

    def __repr__(self) -> str:
        return f"CxoneClient(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> CxoneClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send_token_request(self, request: httpx.Request) -> httpx.Response:
        """Token requests share the client's transport, timeouts and trace, not its auth."""
        return await self._http.send(request, auth=_NO_AUTH)

    async def _on_request(self, request: httpx.Request) -> None:
        request.extensions["reconciler_started"] = self.runtime.monotonic()
        self.sent[request.method] += 1

    async def _on_response(self, response: httpx.Response) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        request = response.request
        started = request.extensions.get("reconciler_started", self.runtime.monotonic())
        elapsed_ms = (self.runtime.monotonic() - started) * 1000
        attempt = request.extensions.get("reconciler_attempt", 1)
        log.debug(
            "%s %s -> %s in %.0f ms (attempt %s)",
            request.method,
            request.url.path,
            response.status_code,
            elapsed_ms,
            attempt,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry_safe: bool | None = None,
    ) -> httpx.Response:
        """Send one API request through gate, breaker and bucket, with retries."""
        safe = method in ("GET", "DELETE") if retry_safe is None else retry_safe
        config, runtime = self.config, self.runtime
        attempt = limited = 0
        while True:
            attempt += 1
            await self._gate.wait()
            await self._bucket.acquire()
            self.breaker.before_request()
            try:
                response = await self._http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    headers=headers,
                    extensions={"reconciler_attempt": attempt},
                )
            except RateLimited as exc:  # from the token endpoint
                self.breaker.record(True)
                wait = exc.retry_after
            except AuthError:
                self.breaker.record(True)
                raise
            except (httpx.TransportError, TransientError) as exc:
                self.breaker.record(False)
                # A refused connection or a failed token request never reached the API.
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
                if status < 400:
                    return response
                if status != 429:
                    if status >= 500 and safe and attempt < config.max_attempts:
                        await runtime.sleep(full_jitter(attempt, config, runtime.random))
                        continue
                    raise error_from_response(response)
                wait = parse_retry_after(response.headers.get("Retry-After"), runtime.wall()) or 1.0
            # 429: nobody sends before Retry-After; it does not use up an attempt.
            self.rate_limited += 1
            limited += 1
            attempt -= 1
            if wait > config.max_retry_after:
                raise RateLimited(
                    f"{method} {path}: CXone asks to wait {wait:.0f} s before the next request, "
                    f"more than the {config.max_retry_after:.0f} s this tool waits",
                    retry_after=wait,
                    hint="the API's rate limit is exhausted; run again later",
                )
            if limited > config.max_rate_limited:
                raise RateLimited(
                    f"{method} {path}: still rate limited after {limited - 1} waits",
                    retry_after=wait,
                    hint="lower the request rate with --rate-limit",
                )
            self._gate.block_for(wait)

    @staticmethod
    def _unexpected(what: str) -> ApiError:
        return ApiError(
            f"unexpected {what} from the CXone API",
            hint="is CXONE_API_BASE the CXone API? rerun with -v to trace",
        )

    def _model(self, model: type[M], data: Any, what: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError:
            raise self._unexpected(what) from None

    def _body(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._unexpected(f"{what} (not JSON)") from None

    def _parse(self, model: type[M], response: httpx.Response, what: str) -> M:
        return self._model(model, self._body(response, what), what)

    async def _pages(self, path: str, what: str) -> AsyncIterator[list[Any]]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            body = self._body(await self._call("GET", path, params=params), f"page of {what}s")
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise self._unexpected(f"page of {what}s")
            yield body["items"]
            cursor = body.get("nextCursor")
            if not cursor:
                return

    async def _get(self, model: type[M], path: str, what: str) -> M:
        return self._parse(model, await self._call("GET", path), what)

    async def _all(self, model: type[M], path: str, what: str) -> list[M]:
        return [self._model(model, item, what) async for page in self._pages(path, what) for item in page]

    # campaigns

    async def list_campaigns(self) -> list[ApiCampaign]:
        return await self._all(ApiCampaign, "/api/campaigns", "campaign")

    async def get_campaign(self, campaign_id: str) -> ApiCampaign:
        return await self._get(ApiCampaign, f"/api/campaigns/{campaign_id}", "campaign")

    async def create_campaign(self, definition: dict[str, Any], *, idempotency_key: str) -> ApiCampaign:
        response = await self._call(
            "POST",
            "/api/campaigns",
            json=definition,
            headers={"Idempotency-Key": idempotency_key},
            retry_safe=True,
        )
        return self._parse(ApiCampaign, response, "campaign")

    async def update_campaign(self, campaign_id: str, patch: dict[str, Any], *, version: int) -> ApiCampaign:
        response = await self._call(
            "PATCH",
            f"/api/campaigns/{campaign_id}",
            json=patch,
            headers={"If-Match": f'"{version}"', "Content-Type": "application/merge-patch+json"},
            retry_safe=True,
        )
        return self._parse(ApiCampaign, response, "campaign")

    async def delete_campaign(self, campaign_id: str, *, version: int) -> None:
        await self._call("DELETE", f"/api/campaigns/{campaign_id}", headers={"If-Match": f'"{version}"'})

    async def start_campaign(self, campaign_id: str) -> StatusAck:
        response = await self._call("POST", f"/api/campaigns/{campaign_id}/start", retry_safe=True)
        return self._parse(StatusAck, response, "start acknowledgement")

    async def stop_campaign(self, campaign_id: str) -> StatusAck:
        response = await self._call("POST", f"/api/campaigns/{campaign_id}/stop", retry_safe=True)
        return self._parse(StatusAck, response, "stop acknowledgement")

    async def realtime(self, campaign_id: str) -> RealtimeStats:
        return await self._get(RealtimeStats, f"/api/campaigns/{campaign_id}/realtime", "realtime figures")

    async def statistics(self, campaign_id: str) -> CampaignSummary:
        return await self._get(CampaignSummary, f"/api/campaigns/{campaign_id}/statistics", "statistics")

    # references

    async def list_contact_lists(self) -> list[ContactList]:
        return await self._all(ContactList, "/api/contactlists", "contact list")

    async def get_contact_list(self, list_id: str) -> ContactList:
        return await self._get(ContactList, f"/api/contactlists/{list_id}", "contact list")

    async def list_dnc_lists(self) -> list[DncList]:
        return await self._all(DncList, "/api/dnclists", "DNC list")

    async def get_dnc_list(self, list_id: str) -> DncList:
        return await self._get(DncList, f"/api/dnclists/{list_id}", "DNC list")
