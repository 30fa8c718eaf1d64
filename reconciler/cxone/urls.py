"""URLs as the client builds and shows them: ids as single path segments; no credentials shown."""

from __future__ import annotations

from urllib.parse import quote

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
    """``url`` with any user:password@ removed; the one way a target URL is shown.

    Not left to ``urlsplit``: a password holding a raw '#', '/' or '?' ends its
    netloc early and would be shown whole. Everything between '://' and the last
    '@' is dropped, whatever it holds (a base URL has no '@' of its own).
    """
    scheme, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url
    return f"{scheme}://{rest.rsplit('@', 1)[1]}"
