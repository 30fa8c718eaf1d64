"""URLs as the client builds and shows them: ids as single path segments; no credentials shown."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from reconciler.errors import InvalidRequest


def segment(value: str, *, what: str) -> str:
    """``value`` percent-encoded as exactly one path segment ("/" included), or a clear error."""
    if value in ("", ".", ".."):
        raise InvalidRequest(
            f"{what} {value!r} cannot name anything in a URL",
            hint=f"give a real {what} (not empty, '.' or '..')",
        )
    return quote(value, safe="")


def redact_url(url: str) -> str:
    """``url`` with any user:password@ removed; the one way a target URL is shown."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))
