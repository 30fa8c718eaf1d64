"""The dashboard's sign-in sessions: signed cookies with an expiry, and the CSRF token tied to each.

A session is ``base64url(JSON {sid, name, role, exp}) "." hex(HMAC-SHA256)``
under a key drawn when the service starts (a restart signs everyone out).
It names the token's principal, never the token. The CSRF token of a
session is an HMAC of its ``sid``; every state-changing form carries it.
Signing out forgets the ``sid`` until the session would have expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.service.auth import ROLES, Principal

__all__ = ["COOKIE", "SESSION_SECONDS", "Session", "Sessions"]

COOKIE = "reconciler_session"
SESSION_SECONDS = 8 * 3600.0
"""A session lasts a working day; then the dashboard asks for the token again."""


@dataclass(frozen=True)
class Session:
    sid: str
    principal: Principal
    expires: float


class Sessions:
    """Issues and checks session cookies and their CSRF tokens."""

    def __init__(self, clock: Callable[[], float], *, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._clock = clock
        self._revoked: dict[str, float] = {}

    def _mac(self, purpose: str, data: bytes) -> str:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def issue(self, principal: Principal) -> tuple[Session, str]:
        """A new session for ``principal`` and its cookie value."""
        session = Session(secrets.token_urlsafe(16), principal, self._clock() + SESSION_SECONDS)
        body = json.dumps(
            {"sid": session.sid, "name": principal.name, "role": principal.role, "exp": session.expires},
            separators=(",", ":"),
        ).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return session, f"{payload}.{self._mac('session', payload.encode())}"

    def check(self, cookie: str | None) -> Session | None:
        """The live session a cookie holds, or None (missing, forged, expired or signed out)."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac.encode(), self._mac("session", payload.encode()).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            sid, name, role, expires = data["sid"], data["name"], data["role"], float(data["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if role not in ROLES or expires <= self._clock() or sid in self._revoked:
            return None
        return Session(str(sid), Principal(str(name), role), expires)

    def csrf(self, session: Session) -> str:
        """The CSRF token of a session (the same for its whole life)."""
        return self._mac("csrf", session.sid.encode())

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token).encode(), self.csrf(session).encode())

    def revoke(self, session: Session) -> None:
        """Sign out: the session's cookie is refused from now on."""
        now = self._clock()
        self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
        self._revoked[session.sid] = session.expires
