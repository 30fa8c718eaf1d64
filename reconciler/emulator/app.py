"""The bundled CXone emulator: an ASGI app implementing its contract, ``openapi.yaml`` beside it.

Routes and HTTP only: bearer checks (``oauth.py``), request inputs
(``inputs.py``: limit, cursor, If-Match, media types), and the mapping of the
tenant's refusals (``tenant.py``) to the contract's error statuses.
One app, two transports: ``reconciler emulator`` serves it with uvicorn;
the embedded sandbox and the tests reach it through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from reconciler.emulator.dialer import DialerModel
from reconciler.emulator.faults import FaultInjection, Faults
from reconciler.emulator.inputs import (
    JSON,
    MERGE_PATCH,
    decode_cursor,
    encode_cursor,
    if_match,
    limit,
    media_type,
    parsed,
)
from reconciler.emulator.lifecycle import Lifecycle
from reconciler.emulator.oauth import ALL_SCOPES, DEMO_CLIENT, ApiClient, authorize, issue_token
from reconciler.emulator.problem import Problem
from reconciler.emulator.records import Row
from reconciler.emulator.seed import default_seed
from reconciler.emulator.store import Store
from reconciler.emulator.tenant import Refused, Tenant

__all__ = ["ALL_SCOPES", "DEMO_CLIENT", "ApiClient", "Emulator", "build"]

STATUS = {
    "VALIDATION_ERROR": 400,
    "NOT_FOUND": 404,
    "DUPLICATE_NAME": 409,
    "INVALID_STATE": 409,
    "CAMPAIGN_ACTIVE": 409,
    "VERSION_MISMATCH": 412,
    "CONTACT_LIST_NOT_FOUND": 422,
    "CONTACT_LIST_NOT_COMPLIANT": 422,
    "DNC_LIST_NOT_FOUND": 422,
}
"""HTTP status of each refusal, as the contract says."""

log = logging.getLogger("reconciler.emulator")


class DisconnectGuard:
    """ASGI middleware: a client that goes away mid-request is one log line, not a traceback."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:  # nobody is left to answer
            log.warning("client disconnected mid-request: %s %s", scope.get("method"), scope.get("path"))


@dataclass
class Emulator:
    """The emulated tenant: configuration, state, and the ASGI app over them."""

    store: Store
    clients: tuple[ApiClient, ...] = (DEMO_CLIENT,)
    token_lifetime: int = 3600
    faults: Faults = field(default_factory=Faults)
    requests: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    """Writes whose answer a LoseResponses fault lost: "METHOD PATH STATUS" (the status never sent)."""
    monotonic: Callable[[], float] = time.monotonic
    """The faults' clock (rate limit)."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """The faults' sleep (latency)."""

    def __post_init__(self) -> None:
        self.tenant = Tenant(self.store, fail_start=lambda: self.faults.fail_start)
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/openapi.yaml", self.openapi, methods=["GET"]),
                Route("/api/contactlists", self.list_contact_lists, methods=["GET"]),
                Route("/api/contactlists/{list_id}", self.get_contact_list, methods=["GET"]),
                Route("/api/dnclists", self.list_dnc_lists, methods=["GET"]),
                Route("/api/dnclists/{list_id}", self.get_dnc_list, methods=["GET"]),
                Route("/api/campaigns", self.list_campaigns, methods=["GET"]),
                Route("/api/campaigns", self.create_campaign, methods=["POST"]),
                Route("/api/campaigns/{campaign_id}", self.get_campaign, methods=["GET"]),
                Route("/api/campaigns/{campaign_id}", self.update_campaign, methods=["PATCH"]),
                Route("/api/campaigns/{campaign_id}", self.delete_campaign, methods=["DELETE"]),
                Route("/api/campaigns/{campaign_id}/start", self.start_campaign, methods=["POST"]),
                Route("/api/campaigns/{campaign_id}/stop", self.stop_campaign, methods=["POST"]),
                Route("/api/campaigns/{campaign_id}/realtime", self.realtime, methods=["GET"]),
                Route("/api/campaigns/{campaign_id}/statistics", self.statistics, methods=["GET"]),
            ],
            exception_handlers={
                Problem: self._problem,
                Refused: self._refused,
                404: self._not_found,
                405: self._not_allowed,
            },
        )
        self.app.add_middleware(
            FaultInjection,
            faults=lambda: self.faults,
            requests=self.requests,
            lost=self.lost,
            clock=self.monotonic,
            sleep=self.sleep,
        )
        self.app.add_middleware(DisconnectGuard)

    # errors

    async def _problem(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response()

    async def _refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return Problem(STATUS[exc.code], exc.code, exc.message, details=exc.details).response()

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return Problem(404, "NOT_FOUND", f"no such resource: {request.url.path}").response()

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        allowed: set[str] = set()
        for route in self.app.routes:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE and isinstance(route, Route):
                allowed |= route.methods or set()
        return Problem(
            405,
            "METHOD_NOT_ALLOWED",
            f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(sorted(allowed))}",
            headers={"Allow": ", ".join(sorted(allowed))},
        ).response()

    # plumbing

    def _authorize(self, request: Request, scope: str) -> None:
        authorize(request, self.store, scope)

    def _campaign(self, request: Request) -> Row:
        return self.tenant.campaign(request.path_params["campaign_id"])

    def _campaign_response(self, row: Row, status: int = 200, **headers: str) -> JSONResponse:
        view = self.store.view(row)
        return JSONResponse(view, status_code=status, headers={"ETag": f'"{row.version}"', **headers})

    def _list(self, request: Request, items: list[dict[str, Any]]) -> JSONResponse:
        size = limit(request)
        cursor = request.query_params.get("cursor")
        after = decode_cursor(cursor) if cursor else ""
        remaining = [item for item in items if item["id"] > after]
        page = remaining[:size]
        more = len(remaining) > size
        return JSONResponse({"items": page, "nextCursor": encode_cursor(page[-1]["id"]) if more else None})

    @staticmethod
    def _found(item: dict[str, Any] | None, what: str, request: Request) -> JSONResponse:
        if item is None:
            raise Problem(404, "NOT_FOUND", f"{what} {request.path_params['list_id']} not found")
        return JSONResponse(item)

    # endpoints

    async def openapi(self, request: Request) -> Response:
        text = resources.files("reconciler.emulator").joinpath("openapi.yaml").read_text()
        return Response(text, media_type="application/yaml")

    async def token(self, request: Request) -> Response:
        return await issue_token(request, self.clients, self.store, self.token_lifetime)

    async def list_contact_lists(self, request: Request) -> Response:
        self._authorize(request, "contactlist:read")
        return self._list(request, self.store.contact_lists())

    async def get_contact_list(self, request: Request) -> Response:
        self._authorize(request, "contactlist:read")
        return self._found(self.store.contact_list(request.path_params["list_id"]), "contact list", request)

    async def list_dnc_lists(self, request: Request) -> Response:
        self._authorize(request, "dnc:read")
        return self._list(request, self.store.dnc_lists())

    async def get_dnc_list(self, request: Request) -> Response:
        self._authorize(request, "dnc:read")
        return self._found(self.store.dnc_list(request.path_params["list_id"]), "DNC list", request)

    async def list_campaigns(self, request: Request) -> Response:
        self._authorize(request, "campaign:read")
        size = limit(request)
        cursor = request.query_params.get("cursor")
        rows, more = self.store.page(decode_cursor(cursor) if cursor else None, size)
        return JSONResponse(
            {
                "items": [self.store.view(r) for r in rows],
                "nextCursor": encode_cursor(rows[-1].id) if more and rows else None,
            }
        )

    async def create_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        media_type(request, JSON)
        key = request.headers.get("idempotency-key")
        if key is not None and len(key) > 255:
            raise Problem(400, "VALIDATION_ERROR", "Idempotency-Key is longer than 255 characters")
        _, view = self.tenant.create(key, parsed(await request.body()))
        headers = {"ETag": f'"{view["version"]}"', "Location": f"/api/campaigns/{view['id']}"}
        return JSONResponse(view, status_code=201, headers=headers)

    async def get_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:read")
        return self._campaign_response(self._campaign(request))

    async def update_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        media_type(request, MERGE_PATCH)
        patch = parsed(await request.body())()
        matches, said = if_match(request)
        row = self.tenant.update(request.path_params["campaign_id"], patch, matches, said)
        return self._campaign_response(row)

    async def delete_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        matches, said = if_match(request)
        self.tenant.delete(request.path_params["campaign_id"], matches, said)
        return Response(status_code=204)

    async def start_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        row = self.tenant.start(request.path_params["campaign_id"])
        return JSONResponse(
            {"id": row.id, "status": "QUEUED"},
            status_code=202,
            headers={"Location": f"/api/campaigns/{row.id}"},
        )

    async def stop_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        row = self.tenant.stop(request.path_params["campaign_id"])
        return JSONResponse({"id": row.id, "status": "STOPPING"}, status_code=202)

    async def realtime(self, request: Request) -> Response:
        self._authorize(request, "statistics:read")
        return JSONResponse(self.store.realtime(self._campaign(request)))

    async def statistics(self, request: Request) -> Response:
        self._authorize(request, "statistics:read")
        return JSONResponse(self.store.statistics(self._campaign(request)))


def build(
    db: str = ":memory:",
    *,
    clock: Callable[[], float] = time.time,
    clients: tuple[ApiClient, ...] = (DEMO_CLIENT,),
    token_lifetime: int = 3600,
    lifecycle: Lifecycle | None = None,
    dialer: DialerModel | None = None,
    faults: Faults | None = None,
    seed: dict[str, Any] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Emulator:
    """An emulator over a store at ``db`` (a path or ':memory:'), seeded when new.

    ``clock`` is the tenant's wall clock; ``monotonic`` and ``sleep`` are the faults' (rate limit, latency).
    """
    store = Store(db, clock=clock, lifecycle=lifecycle, dialer=dialer)
    if seed is not None or not store.is_seeded():
        data = seed or default_seed()
        store.seed(data.get("contactLists", []), data.get("dncLists", []))
    return Emulator(
        store,
        clients=clients,
        token_lifetime=token_lifetime,
        faults=faults or Faults(),
        monotonic=monotonic,
        sleep=sleep,
    )
