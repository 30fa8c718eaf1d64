"""From what went wrong on the wire to the error tree: answers and failed connections.

``error_from_response`` is the one mapping from an HTTP error status to an
error type; ``error_from_transport`` names the URL a failed connection was
for, the cause (refused, TLS certificate, name not resolved, timeout) and
the setting to check. Hints speak of the API and its settings, not of
commands.
"""

from __future__ import annotations

import socket
import ssl

import httpx

from reconciler.cxone.urls import redact_url
from reconciler.errors import (
    ApiError,
    AuthError,
    BadEndpoint,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    TransientError,
    Unreachable,
)

API_BASE_SETTING = "CXONE_API_BASE"
TOKEN_URL_SETTING = "CXONE_TOKEN_URL (default: CXONE_API_BASE + /oauth/token)"

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
        return "the campaign changed since its version was read; read it again before changing it"
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


def shown_url(url: httpx.URL) -> str:
    """A URL as errors and traces show it: no credentials, no query."""
    return redact_url(str(url.copy_with(query=None, fragment=None)))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def connection_cause(exc: httpx.TransportError) -> str:
    """What went wrong, in a few words: connection refused, TLS certificate, name not resolved, timeout."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate verify failed" in text:
        return "TLS certificate not accepted"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "TLS handshake failed"
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in text:
        return "host name not resolved"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (timeout)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "connection refused"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return "connection dropped"


def _fix(cause: str, setting: str) -> str:
    if cause.startswith("TLS"):
        return (
            f"check that {setting} names the right host and that its certificate is trusted "
            "(behind a TLS-inspecting proxy, point SSL_CERT_FILE at its CA bundle)"
        )
    if cause == "host name not resolved":
        return f"check the host name in {setting}, DNS and the network"
    return f"check {setting}: host and port; then the network and any firewall or proxy"


def error_from_transport(exc: httpx.TransportError, *, token: bool = False) -> Unreachable | BadEndpoint:
    """A failed connection as one clear error: which URL, why, and which setting to check.

    ``token`` says the request was the token request (CXONE_TOKEN_URL), not
    an API call (CXONE_API_BASE). TLS and name failures are ``BadEndpoint``
    (retrying will not help); the rest are ``Unreachable`` (transient).
    """
    try:
        url = shown_url(exc.request.url)
    except RuntimeError:  # an exception raised outside a request
        url = "(unknown URL)"
    what = "the CXone token endpoint" if token else "the CXone API"
    setting = TOKEN_URL_SETTING if token else API_BASE_SETTING
    cause = connection_cause(exc)
    message = f"cannot reach {what} at {url}: {cause}"
    cls = BadEndpoint if cause.startswith("TLS") or cause == "host name not resolved" else Unreachable
    return cls(message, url=url, cause=cause, hint=_fix(cause, setting))


def after_attempts(error: Unreachable, attempts: int) -> Unreachable:
    """The same failure, saying how many attempts were made."""
    if attempts <= 1:
        return error
    return Unreachable(
        f"{error.message} (after {attempts} attempts)", url=error.url, cause=error.cause, hint=error.hint
    )
