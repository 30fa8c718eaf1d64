"""The bundled CXone emulator: an ASGI app implementing ../shared/design/cxone-api.yaml.

One app, two transports: ``reconciler emulator`` serves it with uvicorn;
the embedded sandbox and the tests reach it through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from reconciler.emulator.bodies import DefinitionIn
from reconciler.emulator.dialer import DialerModel
from reconciler.emulator.faults import FaultInjection, Faults
from reconciler.emulator.problem import Problem
from reconciler.emulator.seed import default_seed
from reconciler.emulator.store import LOCKED_FIELDS, Lifecycle, Row, Store

ALL_SCOPES = ("campaign:read", "campaign:write", "contactlist:read", "dnc:read", "statistics:read")
ACTIVE = {"QUEUED", "INITIALIZING", "RUNNING"}
JSON = ("application/json",)
MERGE_PATCH = ("application/merge-patch+json", "application/json")
_ETAG_LIST = re.compile(r'\s*(?:W/)?"[^"]*"(?:\s*,\s*(?:W/)?"[^"]*")*\s*')
_ETAG = re.compile(r'(W/)?"([^"]*)"')
log = logging.getLogger("reconciler.emulator")


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    secret: str
    scopes: tuple[str, ...] = ALL_SCOPES

    def __repr__(self) -> str:
        return f"ApiClient({self.client_id!r}, scopes={self.scopes!r})"


DEMO_CLIENT = ApiClient("demo", "demo-secret")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _encode_cursor(campaign_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{campaign_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("after:"):
        raise Problem(
            400,
            "VALIDATION_ERROR",
            "unknown cursor",
            details=[{"field": "cursor", "message": "unknown cursor"}],
        )
    return raw.removeprefix("after:")


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

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
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
                404: self._not_found,
                405: self._not_allowed,
            },
        )
        self.app.add_middleware(FaultInjection, emulator=self)
        self.app.add_middleware(DisconnectGuard)

    # plumbing

    async def _problem(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response()

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

    def _authorize(self, request: Request, scope: str) -> None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise Problem(401, "UNAUTHORIZED", "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        found = self.store.token(header[7:].strip())
        if found is None:
            raise Problem(
                401,
                "INVALID_TOKEN",
                "the access token is expired, revoked or unknown",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        _, scopes = found
        if scope not in scopes:
            raise Problem(
                403,
                "INSUFFICIENT_SCOPE",
                f"this operation needs scope {scope}",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )

    def _campaign(self, request: Request) -> Row:
        row = self.store.get(request.path_params["campaign_id"])
        if row is None:
            raise Problem(404, "NOT_FOUND", f"campaign {request.path_params['campaign_id']} not found")
        return row

    def _campaign_response(self, row: Row, status: int = 200, **headers: str) -> JSONResponse:
        view = self.store.view(row)
        return JSONResponse(view, status_code=status, headers={"ETag": f'"{row.version}"', **headers})

    @staticmethod
    def _limit(request: Request) -> int:
        raw = request.query_params.get("limit", "50")
        plain = raw.isascii() and raw.isdigit()  # int() would take " 1", "1_0" and non-ASCII digits
        limit = int(raw) if plain else 0
        if not 1 <= limit <= 100:
            raise Problem(
                400,
                "VALIDATION_ERROR",
                "limit must be an integer from 1 to 100",
                details=[{"field": "limit", "message": "must be 1..100"}],
            )
        return limit

    def _check_if_match(self, request: Request, row: Row) -> None:
        """RFC 9110 If-Match: ``*`` or a list of entity tags, compared strongly (a weak tag never matches)."""
        wanted = request.headers.get("if-match")
        if wanted is None or wanted.strip() == "*":
            return
        if not _ETAG_LIST.fullmatch(wanted):
            raise Problem(
                400,
                "VALIDATION_ERROR",
                f'If-Match {wanted!r} is not "*" or a list of quoted entity tags, e.g. If-Match: "3"',
                details=[{"field": "If-Match", "message": "not an entity-tag list"}],
            )
        strong = {tag for weak, tag in _ETAG.findall(wanted) if not weak}
        if str(row.version) not in strong:
            raise Problem(
                412,
                "VERSION_MISMATCH",
                f"If-Match {wanted} does not match the current version {row.version}",
            )

    @staticmethod
    def _media_type(request: Request, accepted: tuple[str, ...]) -> None:
        """415 unless the body is declared as one of the contract's media types for this operation."""
        declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if declared not in accepted:
            raise Problem(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                f"{request.method} {request.url.path} takes Content-Type {' or '.join(accepted)}, "
                f"not {declared or 'none'}",
            )

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise Problem(400, "VALIDATION_ERROR", "the body is not valid JSON") from None

    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            definition = DefinitionIn.model_validate(data)
        except ValidationError as exc:
            details = [
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors(include_url=False)
            ]
            raise Problem(
                400, "VALIDATION_ERROR", "the campaign definition is invalid", details=details
            ) from None
        result = definition.model_dump()
        result.pop("name")
        return result

    def _check_references(self, definition: dict[str, Any]) -> None:
        contact_list = self.store.contact_list(definition["contactListId"])
        if contact_list is None:
            raise Problem(
                422, "CONTACT_LIST_NOT_FOUND", f"contact list {definition['contactListId']} does not exist"
            )
        if not contact_list["dncCompliant"]:
            raise Problem(
                422,
                "CONTACT_LIST_NOT_COMPLIANT",
                f"contact list {definition['contactListId']} is not DNC compliant",
            )
        for dnc_id in definition["dnc"].get("listIds", []):
            if self.store.dnc_list(dnc_id) is None:
                raise Problem(422, "DNC_LIST_NOT_FOUND", f"DNC list {dnc_id} does not exist")

    # endpoints

    async def openapi(self, request: Request) -> Response:
        text = resources.files("reconciler.emulator").joinpath("openapi.yaml").read_text()
        return Response(text, media_type="application/yaml")

    async def token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client", "malformed Basic credentials")
        if form.get("grant_type") != "client_credentials":
            if not form.get("grant_type"):
                return _oauth_error(400, "invalid_request", "grant_type is required")
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
        client = next((c for c in self.clients if c.client_id == client_id), None)
        if client is None or not secrets.compare_digest(client.secret, secret or ""):
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        asked = (form.get("scope") or "").split()
        extra = [s for s in asked if s not in client.scopes]
        if extra:
            return _oauth_error(400, "invalid_scope", f"scope not granted to this client: {' '.join(extra)}")
        granted = asked or list(client.scopes)
        token = secrets.token_urlsafe(32)
        self.store.save_token(token, client.client_id, granted, self.store.clock() + self.token_lifetime)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": " ".join(granted),
            },
            headers={"Cache-Control": "no-store"},
        )

    def _list(self, request: Request, items: list[dict[str, Any]]) -> JSONResponse:
        limit = self._limit(request)
        cursor = request.query_params.get("cursor")
        after = _decode_cursor(cursor) if cursor else ""
        remaining = [item for item in items if item["id"] > after]
        page = remaining[:limit]
        more = len(remaining) > limit
        return JSONResponse({"items": page, "nextCursor": _encode_cursor(page[-1]["id"]) if more else None})

    async def list_contact_lists(self, request: Request) -> Response:
        self._authorize(request, "contactlist:read")
        return self._list(request, self.store.contact_lists())

    @staticmethod
    def _found(item: dict[str, Any] | None, what: str, request: Request) -> JSONResponse:
        if item is None:
            raise Problem(404, "NOT_FOUND", f"{what} {request.path_params['list_id']} not found")
        return JSONResponse(item)

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
        limit = self._limit(request)
        cursor = request.query_params.get("cursor")
        rows, more = self.store.page(_decode_cursor(cursor) if cursor else None, limit)
        return JSONResponse(
            {
                "items": [self.store.view(r) for r in rows],
                "nextCursor": _encode_cursor(rows[-1].id) if more and rows else None,
            }
        )

    async def create_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        self._media_type(request, JSON)
        key = request.headers.get("idempotency-key")
        if key is not None and len(key) > 255:
            raise Problem(400, "VALIDATION_ERROR", "Idempotency-Key is longer than 255 characters")
        async with self._lock:
            if key and (first := self.store.remembered(key)) is not None:
                return JSONResponse(
                    first,
                    status_code=201,
                    headers={"ETag": f'"{first["version"]}"', "Location": f"/api/campaigns/{first['id']}"},
                )
            body = await self._json(request)
            if not isinstance(body, dict):
                raise Problem(400, "VALIDATION_ERROR", "the body must be a JSON object")
            definition = self._validate(body)
            self._check_references(definition)
            name = body["name"]
            if self.store.by_name(name) is not None:
                raise Problem(409, "DUPLICATE_NAME", f"a campaign named {name!r} already exists")
            row = self.store.create(name, definition, key)
        return self._campaign_response(row, 201, Location=f"/api/campaigns/{row.id}")

    async def get_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:read")
        return self._campaign_response(self._campaign(request))

    async def update_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        self._media_type(request, MERGE_PATCH)
        patch = await self._json(request)
        if not isinstance(patch, dict):
            raise Problem(400, "VALIDATION_ERROR", "a merge patch must be a JSON object")
        async with self._lock:
            row = self._campaign(request)
            self._check_if_match(request, row)
            if "name" in patch and patch["name"] != row.name:
                raise Problem(
                    400,
                    "VALIDATION_ERROR",
                    "a campaign cannot be renamed",
                    details=[{"field": "name", "message": "cannot change"}],
                )
            patch.pop("name", None)
            merged = _merge_patch(row.definition, patch)
            definition = self._validate({**merged, "name": row.name})
            status = self.store.status(row, self.store.clock())
            if status in ACTIVE:
                changed = [f for f in LOCKED_FIELDS if definition.get(f) != row.definition.get(f)]
                if changed:
                    raise Problem(
                        409,
                        "CAMPAIGN_ACTIVE",
                        f"cannot change {', '.join(changed)} while the campaign is {status}; stop it first",
                    )
            if any(f in patch for f in ("contactListId", "dnc")):
                self._check_references(definition)
            if definition != row.definition:
                row = self.store.replace_definition(row, definition)
        return self._campaign_response(row)

    async def delete_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        async with self._lock:
            row = self._campaign(request)
            self._check_if_match(request, row)
            status = self.store.status(row, self.store.clock())
            if status not in ("STOPPED", "ERROR", "COMPLETED"):
                raise Problem(409, "INVALID_STATE", f"cannot delete a {status} campaign; stop it first")
            self.store.delete(row.id)
        return Response(status_code=204)

    async def start_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        async with self._lock:
            row = self._campaign(request)
            status = self.store.status(row, self.store.clock())
            if status not in ("STOPPED", "ERROR", "COMPLETED"):
                raise Problem(409, "INVALID_STATE", f"cannot start a {status} campaign")
            rule = next((f for f in self.faults.fail_start if fnmatch.fnmatchcase(row.name, f.pattern)), None)
            failure = {"errorCode": rule.code, "errorMessage": rule.message} if rule else None
            self.store.start(row, failure)
        return JSONResponse(
            {"id": row.id, "status": "QUEUED"},
            status_code=202,
            headers={"Location": f"/api/campaigns/{row.id}"},
        )

    async def stop_campaign(self, request: Request) -> Response:
        self._authorize(request, "campaign:write")
        async with self._lock:
            row = self._campaign(request)
            status = self.store.status(row, self.store.clock())
            if status not in ACTIVE:
                raise Problem(409, "INVALID_STATE", f"cannot stop a {status} campaign")
            self.store.stop(row)
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
) -> Emulator:
    """An emulator over a store at ``db`` (a path or ':memory:'), seeded when new."""
    store = Store(db, clock=clock, lifecycle=lifecycle, dialer=dialer)
    if seed is not None or not store.is_seeded():
        data = seed or default_seed()
        store.seed(data.get("contactLists", []), data.get("dncLists", []))
    return Emulator(store, clients=clients, token_lifetime=token_lifetime, faults=faults or Faults())
