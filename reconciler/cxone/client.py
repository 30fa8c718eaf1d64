"""The typed async CXone client: the only code that speaks HTTP to the API.

Every request goes through ``Resilient.send`` (Retry-After gate, token
bucket, circuit breaker, retries); ``cxone/errors.py`` maps what went wrong
to the error tree. What is left here is a table of typed calls.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.errors import error_from_response, required_scope
from reconciler.cxone.models import (
    ApiCampaign,
    CampaignSummary,
    ContactList,
    DncList,
    RealtimeStats,
    StatusAck,
)
from reconciler.cxone.resilience import ATTEMPT, ResilienceConfig, Resilient, Runtime
from reconciler.cxone.urls import redact_url, segment
from reconciler.errors import ApiError

__all__ = ["PAGE_SIZE", "CxoneClient", "error_from_response", "required_scope"]

log = logging.getLogger("reconciler.http")

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 100
MAX_PAGES = 10_000
"""A list longer than this many pages is refused rather than read forever."""
_NO_AUTH = httpx.Auth()


def _id(campaign_id: str) -> str:
    return segment(campaign_id, what="campaign id")


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
        self._resilient = Resilient(config=self.config, runtime=self.runtime)
        self.breaker = self._resilient.breaker
        self.sent: Counter[str] = Counter()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            headers={"Accept": "application/json", "User-Agent": "cxone-reconciler"},
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        auth.bind(self._send_token_request)

    @property
    def rate_limited(self) -> int:
        """429 answers received (each held every request until its Retry-After)."""
        return self._resilient.rate_limited

    def __repr__(self) -> str:
        return f"CxoneClient(base_url={self.base!r})"

    @property
    def base(self) -> str:
        """The API base, without credentials in the URL."""
        return redact_url(str(self._http.base_url))

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
        attempt = ATTEMPT.get()
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
        """One API request through ``Resilient.send``; GET and DELETE retry unless told otherwise."""
        retry = method in ("GET", "DELETE") if retry_safe is None else retry_safe

        def send() -> Awaitable[httpx.Response]:
            return self._http.request(method, path, json=json, params=params, headers=headers)

        return await self._resilient.send(send, what=f"{method} {path}", retry=retry)

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
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
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
            if not isinstance(cursor, str) or cursor in seen:
                raise ApiError(
                    f"GET {path}: the API returned the same nextCursor twice; the list would never end",
                    hint="the CXone API at CXONE_API_BASE is misbehaving; report it to its operator",
                )
            seen.add(cursor)
        raise ApiError(
            f"GET {path}: more than {MAX_PAGES} pages of {PAGE_SIZE} {what}s; stopped reading",
            hint="the list does not end; check that CXONE_API_BASE is the CXone API",
        )

    async def _get(self, model: type[M], path: str, what: str) -> M:
        return self._parse(model, await self._call("GET", path), what)

    async def _all(self, model: type[M], path: str, what: str) -> list[M]:
        return [self._model(model, item, what) async for page in self._pages(path, what) for item in page]

    async def probe(self) -> int:
        """One page of one campaign: whether the API base answers (its status; errors raise)."""
        return (await self._call("GET", "/api/campaigns", params={"limit": 1})).status_code

    # campaigns

    async def list_campaigns(self) -> list[ApiCampaign]:
        return await self._all(ApiCampaign, "/api/campaigns", "campaign")

    async def get_campaign(self, campaign_id: str) -> ApiCampaign:
        return await self._get(ApiCampaign, f"/api/campaigns/{_id(campaign_id)}", "campaign")

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
            f"/api/campaigns/{_id(campaign_id)}",
            json=patch,
            headers={"If-Match": f'"{version}"', "Content-Type": "application/merge-patch+json"},
            retry_safe=True,
        )
        return self._parse(ApiCampaign, response, "campaign")

    async def delete_campaign(self, campaign_id: str, *, version: int) -> None:
        await self._call("DELETE", f"/api/campaigns/{_id(campaign_id)}", headers={"If-Match": f'"{version}"'})

    async def start_campaign(self, campaign_id: str) -> StatusAck:
        response = await self._call("POST", f"/api/campaigns/{_id(campaign_id)}/start", retry_safe=True)
        return self._parse(StatusAck, response, "start acknowledgement")

    async def stop_campaign(self, campaign_id: str) -> StatusAck:
        response = await self._call("POST", f"/api/campaigns/{_id(campaign_id)}/stop", retry_safe=True)
        return self._parse(StatusAck, response, "stop acknowledgement")

    async def realtime(self, campaign_id: str) -> RealtimeStats:
        return await self._get(
            RealtimeStats, f"/api/campaigns/{_id(campaign_id)}/realtime", "realtime figures"
        )

    async def statistics(self, campaign_id: str) -> CampaignSummary:
        return await self._get(CampaignSummary, f"/api/campaigns/{_id(campaign_id)}/statistics", "statistics")

    # references

    async def list_contact_lists(self) -> list[ContactList]:
        return await self._all(ContactList, "/api/contactlists", "contact list")

    async def get_contact_list(self, list_id: str) -> ContactList:
        return await self._get(
            ContactList, f"/api/contactlists/{segment(list_id, what='contact list id')}", "contact list"
        )

    async def list_dnc_lists(self) -> list[DncList]:
        return await self._all(DncList, "/api/dnclists", "DNC list")

    async def get_dnc_list(self, list_id: str) -> DncList:
        return await self._get(DncList, f"/api/dnclists/{segment(list_id, what='DNC list id')}", "DNC list")
