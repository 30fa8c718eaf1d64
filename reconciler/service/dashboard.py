"""The dashboard at ``/``: server-rendered pages on the control API's own data, sign-in, operator forms.

Every figure comes from ``reads`` (what the control API answers with) and
the operations the API runs; nothing here is a second source of truth.
A browser signs in with a token once (POST /signin) and holds a signed,
HttpOnly, SameSite=Strict session cookie; the token never appears in a
URL, a page or a log. Every state change is a POST carrying the session's
CSRF token from a same-origin page, by an operator session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from reconciler.errors import ApiError
from reconciler.service.auth import NO_AUTH, Principal
from reconciler.service.controller import Controller
from reconciler.service.operations import Operations
from reconciler.service.pace import pace_now
from reconciler.service.problems import Problem
from reconciler.service.reads import campaign_rows, campaign_view, event_rows, history_view, status_view
from reconciler.service.sessions import COOKIE, SESSION_SECONDS, Session, Sessions
from reconciler.spec.compliance import LEGAL_ABANDON_CAP
from reconciler.web import environment, static_dir

__all__ = ["NEAR_CAP", "REFRESH_SECONDS", "cap_state", "dashboard_routes"]

REFRESH_SECONDS = 30
"""The pages refresh their content this often (with JavaScript; without it they are read as served)."""
NEAR_CAP = 0.8
"""An abandon rate at this share of its cap or more is shown "near cap"."""
HISTORY_SECONDS = 86400.0
_PREFIX = "/campaigns/"
_MAX_FORM = 16 * 1024
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chromium send Origin: null
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def cap_state(rate: float | None, cap: float) -> str | None:
    """``over``, ``near`` or ``ok`` for an abandon rate against its cap; None without a rate."""
    if rate is None:
        return None
    return "over" if rate > cap else "near" if rate >= cap * NEAR_CAP else "ok"


def dashboard_routes(controller: Controller, ops: Operations) -> list[BaseRoute]:
    """The dashboard's routes, to mount beside the control API's."""
    sessions = Sessions(controller.now)
    env = environment()
    flashes: dict[str, list[tuple[str, str]]] = {}
    tokens = controller.config.tokens

    def signed_in(request: Request) -> tuple[Session | None, str | None]:
        """The request's session, and a cookie to set (under --no-auth every visitor gets one)."""
        session = sessions.check(request.cookies.get(COOKIE))
        if session is None and tokens is None:
            session, cookie = sessions.issue(NO_AUTH)
            return session, cookie
        return session, None

    def with_cookie(response: Response, request: Request, cookie: str | None) -> Response:
        if cookie is not None:
            response.set_cookie(
                COOKIE,
                cookie,
                max_age=int(SESSION_SECONDS),
                path="/",
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    def render(
        request: Request,
        template: str,
        session: Session | None,
        *,
        status: int = 200,
        cookie: str | None = None,
        **context: Any,
    ) -> Response:
        messages = flashes.pop(session.sid, []) if session is not None else []
        page = env.get_template(template).render(
            session=session,
            principal=session.principal if session is not None else None,
            csrf=sessions.csrf(session) if session is not None else "",
            auth=tokens is not None,
            target=controller.config.target,
            refresh=REFRESH_SECONDS,
            messages=messages,
            **context,
        )
        response = HTMLResponse(page, status_code=status, headers=_HEADERS)
        return with_cookie(response, request, cookie)

    def to_signin(request: Request) -> Response:
        here = request.url.path
        target = "/signin" if here == "/" else f"/signin?next={quote(here, safe='/%')}"
        return RedirectResponse(target, status_code=303, headers=_HEADERS)

    Page = Callable[[Request, Session, str | None], Awaitable[Response]]

    def reading(handler: Page) -> Callable[[Request], Awaitable[Response]]:
        """A page that needs a session; a Problem or an unreachable tenant is shown as an error page."""

        async def wrapped(request: Request) -> Response:
            session, cookie = signed_in(request)
            if session is None:
                return to_signin(request)
            try:
                return await handler(request, session, cookie)
            except Problem as problem:
                status, message = problem.status, problem.message
                return render(request, "error.html", session, status=status, cookie=cookie, error=message)
            except ApiError as error:
                controller.tenant_answered(False)
                message = f"the tenant cannot be reached: {error}"
                return render(request, "error.html", session, status=503, cookie=cookie, error=message)

        return wrapped

    async def index(request: Request, session: Session, cookie: str | None) -> Response:
        rows = await campaign_rows(controller)
        specs = (await controller.current()).specs
        shown = [_row(row, specs.get(row["name"])) for row in rows]
        counts = {
            "running": sum(1 for r in shown if r["status"] == "RUNNING"),
            "drifted": sum(1 for r in shown if r["drift"] not in ("in-sync",)),
            "over": sum(1 for r in shown if r["capState"] == "over"),
            "near": sum(1 for r in shown if r["capState"] == "near"),
            "suspended": sum(1 for r in shown if r["suspended"]),
        }
        return render(
            request,
            "campaigns.html",
            session,
            cookie=cookie,
            rows=shown,
            counts=counts,
            service=status_view(controller),
        )

    async def events(request: Request, session: Session, cookie: str | None) -> Response:
        campaign = request.query_params.get("campaign") or None
        rows = event_rows(controller, since=None, limit=200, campaign=campaign)
        return render(request, "events.html", session, cookie=cookie, events=rows[::-1], campaign=campaign)

    async def campaign(request: Request, session: Session, cookie: str | None) -> Response:
        name = _name(request)
        view = await campaign_view(controller, name)
        spec = (await controller.current()).specs.get(name)
        history = await history_view(controller, name, since=controller.now() - HISTORY_SECONDS)
        recent = event_rows(controller, since=None, limit=50, campaign=name)[::-1]
        row = _row(view, spec)
        chart = {"cap": row["cap"], "samples": history["samples"], "decisions": history["decisions"]}
        return render(
            request,
            "campaign.html",
            session,
            cookie=cookie,
            c=row,
            chart=chart,
            decisions=history["decisions"][::-1],
            samples=len(history["samples"]),
            events=recent,
            adaptive=spec is not None and spec.spec.adaptivePacing is not None,
        )

    async def signin_page(request: Request) -> Response:
        session, _ = signed_in(request)
        if tokens is None or session is not None:
            return RedirectResponse("/", status_code=303, headers=_HEADERS)
        return render(request, "signin.html", None, next=_next(request.query_params.get("next")), error=None)

    async def signin(request: Request) -> Response:
        if not _same_origin(request):
            return render(request, "error.html", None, status=403, error="cross-site sign-in refused")
        form = await _form(request)
        goto = _next(form.get("next"))
        token = form.get("token", "").strip()
        principal: Principal | None = NO_AUTH if tokens is None else tokens.identify(token) if token else None
        if principal is None:
            error = "That token is not valid. Ask for one with `reconciler serve token`."
            return render(request, "signin.html", None, status=401, next=goto, error=error)
        _, cookie = sessions.issue(principal)
        return with_cookie(RedirectResponse(goto, status_code=303, headers=_HEADERS), request, cookie)

    async def signout(request: Request) -> Response:
        session = sessions.check(request.cookies.get(COOKIE))
        form = await _form(request)
        if session is None or not _same_origin(request) or not sessions.csrf_ok(session, form.get("csrf")):
            return render(request, "error.html", None, status=403, error="sign-out refused: reload the page")
        sessions.revoke(session)
        goto = "/signin" if tokens is not None else "/"
        response = RedirectResponse(goto, status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def act(request: Request) -> Response:
        """POST /campaigns/{name}/{launch|pace|suspend|resume} from an operator's form."""
        name, action = _action(request)
        session = sessions.check(request.cookies.get(COOKIE))
        form = await _form(request)
        if session is None:
            return to_signin(request)
        if not _same_origin(request) or not sessions.csrf_ok(session, form.get("csrf")):
            return render(
                request,
                "error.html",
                session,
                status=403,
                error="refused: the form is stale or not from this dashboard; reload the page and try again",
            )
        if not session.principal.operator:
            error = f"{session.principal.name} is a viewer: only operators may {action} campaigns"
            return render(request, "error.html", session, status=403, error=error)
        actor = session.principal.name
        notes = flashes.setdefault(session.sid, [])
        try:
            if action == "launch":
                row = await ops.launch(name, actor)
                notes.append(("ok", f"launch requested (operation {row.id})"))
            elif action == "resume":
                row = await ops.resume(name, actor)
                notes.append(("ok", f"resumed; converging (operation {row.id})"))
            elif action == "suspend":
                reason = form.get("reason", "").strip()
                if not 3 <= len(reason) <= 500:
                    raise Problem(400, "VALIDATION_ERROR", "a suspend needs a reason of 3 to 500 characters")
                row = await ops.suspend(name, reason, actor)
                notes.append(("ok", f"suspended; stopping (operation {row.id})"))
            else:
                decision = await pace_now(controller, name, dry_run=False, actor=actor)
                before, after = decision["from"]["callsPerMinute"], decision["to"]["callsPerMinute"]
                notes.append(("ok", f"paced: {before} -> {after} calls/min: {decision['reason']}"))
        except Problem as problem:
            notes.append(("error", problem.message))
        except ApiError as error:
            notes.append(("error", f"the tenant cannot be reached: {error}"))
        return RedirectResponse(f"{_PREFIX}{quote(name, safe='')}", status_code=303, headers=_HEADERS)

    campaign_page = reading(campaign)

    async def campaign_route(request: Request) -> Response:
        if request.method == "POST":
            return await act(request)
        return await campaign_page(request)

    return [
        Route("/", reading(index)),
        Route("/events", reading(events)),
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route(_PREFIX + "{rest:path}", campaign_route, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=static_dir()), name="static"),
    ]


def _row(row: Mapping[str, Any], spec: Any) -> dict[str, Any]:
    """One campaign as the table shows it: the API's row, its cap and where its abandon rate stands."""
    rules = spec.spec.adaptivePacing if spec is not None else None
    cap = rules.maxAbandonRate if rules is not None else LEGAL_ABANDON_CAP
    realtime = row.get("realtime") or {}
    abandon = realtime.get("abandonRate")
    return {
        **row,
        "answerRate": realtime.get("answerRate"),
        "abandonRate": abandon,
        "realtimeAt": realtime.get("at"),
        "cap": cap,
        "capState": cap_state(abandon, cap),
    }


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return str(raw.decode("latin-1").split("?", 1)[0])


def _name(request: Request) -> str:
    parts = _raw_path(request)[len(_PREFIX) :].split("/")
    if len(parts) != 1 or not parts[0]:
        raise Problem(404, "NOT_FOUND", f"no such page: {request.url.path}")
    return unquote(parts[0])


def _action(request: Request) -> tuple[str, str]:
    parts = _raw_path(request)[len(_PREFIX) :].split("/")
    if len(parts) != 2 or not parts[0] or parts[1] not in ("launch", "pace", "suspend", "resume"):
        raise Problem(404, "NOT_FOUND", f"no such action: {request.url.path}")
    return unquote(parts[0]), parts[1]


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (one value per field), at most 16 KiB."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    raw = await request.body()
    if len(raw) > _MAX_FORM:
        return {}
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _same_origin(request: Request) -> bool:
    """Browsers send Origin on every form POST; one from elsewhere (or "null") is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"{request.url.scheme}://{host}",)


def _next(raw: str | None) -> str:
    """Where to go after sign-in: a path on this dashboard only."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/"
