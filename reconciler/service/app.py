"""The control API (control-api.yaml) as a Starlette app: routes, auth per role, strict inputs, JSON errors.

Handlers parse and check the request, call the controller or the
operations, and render; no rule lives here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler import aio
from reconciler.errors import ApiError
from reconciler.service.auth import NO_AUTH, Principal, signature_ok
from reconciler.service.controller import Controller
from reconciler.service.dashboard import dashboard_routes
from reconciler.service.figures import summary_row, summary_totals
from reconciler.service.metrics import CONTENT_TYPE
from reconciler.service.operations import Operations, operation_json
from reconciler.service.pace import pace_now
from reconciler.service.problems import Problem, body
from reconciler.service.reads import campaign_rows, campaign_view, event_rows, history_view, status_view

__all__ = ["build_app", "contract"]

_DIGITS = re.compile(r"^[0-9]{1,18}$")
_PREFIX = "/api/v1/campaigns/"


@cache
def contract() -> dict[str, Any]:
    """control-api.yaml, the copy in this package."""
    text = resources.files("reconciler.service").joinpath("control-api.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(code, message), status_code=status, headers=headers)


def build_app(controller: Controller, operations: Operations | None = None) -> Starlette:
    """The ASGI app of one service; ``app.state.operations`` runs its operations."""
    ops = operations or Operations(controller)
    config = controller.config

    def who(request: Request, *, write: bool = False) -> Principal:
        if config.tokens is None:
            return NO_AUTH
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        principal = config.tokens.identify(token.strip()) if scheme.lower() == "bearer" and token else None
        if principal is None:
            raise Problem(
                401,
                "UNAUTHORIZED",
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if write and not principal.operator:
            raise Problem(403, "FORBIDDEN", f"the token {principal.name!r} is a viewer: operators only")
        return principal

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if controller.tenant_ok is False:
            return _error(503, "UPSTREAM_UNAVAILABLE", "the tenant did not answer at the last attempt")
        if not controller.cycled:
            return _error(503, "NOT_READY", "the first reconcile cycle has not completed yet")
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        return Response(controller.metrics.render(), media_type=CONTENT_TYPE)

    async def openapi(request: Request) -> Response:
        return JSONResponse(contract())

    async def status(request: Request) -> Response:
        who(request)
        return JSONResponse(status_view(controller))

    async def campaigns(request: Request) -> Response:
        who(request)
        snapshot = await controller.current()
        key = controller.views_key(snapshot)
        rendered = controller.rendered
        if rendered is None or rendered[0] != key:
            rows = await campaign_rows(controller)
            rendered = controller.rendered = (key, bytes(JSONResponse({"campaigns": rows}).body))
        return Response(rendered[1], media_type="application/json")

    async def one(request: Request, name: str) -> Response:
        return JSONResponse(await campaign_view(controller, name))

    async def history(request: Request, name: str) -> Response:
        since = _since(request.query_params.get("since"), controller.now() - 86400)
        return JSONResponse(await history_view(controller, name, since=since))

    async def campaign_summary(request: Request, name: str) -> Response:
        snapshot = await controller.current()
        spec, live = snapshot.specs.get(name), snapshot.live.get(name)
        if spec is None:
            raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")
        if live is None or not live.owned:
            raise Problem(404, "NOT_FOUND", f"{name}: no managed campaign of that name; launch it first")
        return JSONResponse(summary_row(spec, live, await controller.tenant.statistics(live.id)))

    async def summary(request: Request) -> Response:
        who(request)
        snapshot = await controller.current()
        named = [
            (snapshot.specs[n], snapshot.live[n])
            for n in sorted(snapshot.specs)
            if n in snapshot.live and snapshot.live[n].owned
        ]
        figures = await aio.gather(*(controller.tenant.statistics(live.id) for _, live in named))
        rows = [(spec, live, f) for (spec, live), f in zip(named, figures, strict=True)]
        return JSONResponse(
            {
                "target": config.target,
                "campaigns": [summary_row(*row) for row in rows],
                "totals": summary_totals(rows),
            }
        )

    def accepted(row: Any) -> Response:
        return JSONResponse(
            {"operation": operation_json(row)},
            status_code=202,
            headers={"Location": f"/api/v1/operations/{row.id}"},
        )

    async def campaign_route(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        parts = [unquote(p) for p in path[len(_PREFIX) :].split("/")]
        if not path.startswith(_PREFIX) or not parts[0] or len(parts) > 2:
            raise Problem(404, "NOT_FOUND", f"no such endpoint: {request.method} {request.url.path}")
        name, action = parts[0], parts[1] if len(parts) == 2 else ""
        reads = {"": one, "history": history, "summary": campaign_summary}
        writes = {"launch", "pace", "suspend", "resume"}
        if request.method == "GET" and action in reads:
            who(request)
            return await reads[action](request, name)
        if request.method == "POST" and action in writes:
            principal = who(request, write=True)
            if action == "launch":
                return accepted(await ops.launch(name, principal.name))
            if action == "resume":
                return accepted(await ops.resume(name, principal.name))
            if action == "suspend":
                reason = _reason(await request.body())
                return accepted(await ops.suspend(name, reason, principal.name))
            dry_run = _flag(request.query_params.get("dryRun"))
            decision = await pace_now(controller, name, dry_run=dry_run, actor=principal.name)
            return JSONResponse({"decision": decision})
        if action in reads or action in writes:
            raise Problem(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.url.path}")
        raise Problem(404, "NOT_FOUND", f"no such endpoint: {request.method} {request.url.path}")

    async def sync(request: Request) -> Response:
        principal = who(request, write=True)
        return accepted(await ops.sync(principal.name))

    async def operation(request: Request) -> Response:
        who(request)
        found = ops.get(request.path_params["op_id"])
        if found is None:
            raise Problem(404, "NOT_FOUND", "no operation of that id")
        return JSONResponse({"operation": operation_json(found)})

    async def events(request: Request) -> Response:
        who(request)
        since_raw, limit_raw = request.query_params.get("since"), request.query_params.get("limit")
        since = _integer("since", since_raw, 0) if since_raw is not None else None
        limit = _integer("limit", limit_raw, 1, 1000) if limit_raw is not None else 100
        return JSONResponse({"events": event_rows(controller, since=since, limit=limit)})

    async def github(request: Request) -> Response:
        secret = config.webhook_secret
        if secret is None:
            raise Problem(404, "NOT_FOUND", "no webhook secret is configured")
        raw = await request.body()
        if not signature_ok(secret, raw, request.headers.get("x-hub-signature-256")):
            raise Problem(401, "BAD_SIGNATURE", "the X-Hub-Signature-256 does not match the body")
        event = request.headers.get("x-github-event", "")
        if event == "ping":
            return JSONResponse({"status": "pong"})
        if event != "push":
            return JSONResponse({"status": f"ignored {event or 'unnamed'} event"})
        return accepted(await ops.sync("github"))

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return _error(exc.status, exc.code, exc.message, exc.headers)

    async def upstream(request: Request, exc: Exception) -> Response:
        controller.tenant_answered(False)
        return _error(503, "UPSTREAM_UNAVAILABLE", f"the tenant cannot be reached: {exc}")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.url.path}")
        return _error(exc.status_code, "NOT_FOUND", f"no such endpoint: {request.method} {request.url.path}")

    async def internal(request: Request, exc: Exception) -> Response:
        return _error(500, "INTERNAL", f"internal error ({type(exc).__name__}); see the service log")

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/openapi.json", openapi),
            Route("/api/v1/status", status),
            Route("/api/v1/campaigns", campaigns),
            Route("/api/v1/campaigns/{rest:path}", campaign_route, methods=["GET", "POST"]),
            Route("/api/v1/summary", summary),
            Route("/api/v1/sync", sync, methods=["POST"]),
            Route("/api/v1/operations/{op_id}", operation),
            Route("/api/v1/events", events),
            Route("/api/v1/hooks/github", github, methods=["POST"]),
            *dashboard_routes(controller, ops),
        ],
        exception_handlers={
            Problem: problem,
            ApiError: upstream,
            HTTPException: http_error,
            Exception: internal,
        },
    )
    app.state.controller = controller
    app.state.operations = ops
    return app


def _integer(name: str, raw: str, low: int, high: int | None = None) -> int:
    if not _DIGITS.match(raw):
        raise Problem(400, "VALIDATION_ERROR", f"{name} must be a whole number, got {raw!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Problem(400, "VALIDATION_ERROR", f"{name} must be {bounds}, got {value}")
    return value


def _flag(raw: str | None) -> bool:
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise Problem(400, "VALIDATION_ERROR", f"dryRun must be true or false, got {raw!r}")
    return raw == "true"


def _since(raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise Problem(400, "VALIDATION_ERROR", f"since must be an ISO 8601 date-time, got {raw!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _reason(raw: bytes) -> str:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        raise Problem(400, "VALIDATION_ERROR", 'the body must be JSON: {"reason": "..."}') from None
    if not isinstance(data, dict) or "reason" not in data:
        raise Problem(400, "VALIDATION_ERROR", 'a suspend needs a reason: {"reason": "..."}')
    unknown = sorted(set(data) - {"reason"})
    if unknown:
        raise Problem(400, "VALIDATION_ERROR", f"unknown field(s): {', '.join(unknown)}")
    reason = data["reason"]
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise Problem(400, "VALIDATION_ERROR", "reason must be a string of 3 to 500 characters")
    return reason.strip()
