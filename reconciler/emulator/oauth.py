"""OAuth for the emulator: registered API clients, the client-credentials token endpoint, bearer checks."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.emulator.problem import Problem
from reconciler.emulator.records import Records

ALL_SCOPES = ("campaign:read", "campaign:write", "contactlist:read", "dnc:read", "statistics:read")


@dataclass(frozen=True)
class ApiClient:
    """An OAuth client registered with the emulated tenant."""

    client_id: str
    secret: str
    scopes: tuple[str, ...] = ALL_SCOPES

    def __repr__(self) -> str:
        return f"ApiClient({self.client_id!r}, scopes={self.scopes!r})"


DEMO_CLIENT = ApiClient("demo", "demo-secret")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def issue_token(
    request: Request, clients: tuple[ApiClient, ...], tokens: Records, lifetime: int
) -> Response:
    """POST /oauth/token: client credentials (form or HTTP Basic) for any subset of the client's scopes."""
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
    client = next((c for c in clients if c.client_id == client_id), None)
    if client is None or not secrets.compare_digest(client.secret, secret or ""):
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    asked = (form.get("scope") or "").split()
    extra = [s for s in asked if s not in client.scopes]
    if extra:
        return _oauth_error(400, "invalid_scope", f"scope not granted to this client: {' '.join(extra)}")
    granted = asked or list(client.scopes)
    token = secrets.token_urlsafe(32)
    tokens.save_token(token, client.client_id, granted, tokens.clock() + lifetime)
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(granted)},
        headers={"Cache-Control": "no-store"},
    )


def authorize(request: Request, tokens: Records, scope: str) -> None:
    """401 without a live bearer token, 403 when it lacks ``scope``."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Problem(401, "UNAUTHORIZED", "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    found = tokens.token(header[7:].strip())
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
