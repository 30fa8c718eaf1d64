"""The ACD API's loose response shapes made regular: ``resultSet`` wrappers, string counts, 204s.

Pure functions over decoded JSON; the client and the tenant read every
answer through them, so a tolerated quirk is tolerated everywhere.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError

__all__ = ["count", "error_text", "rows", "unwrap"]


def unwrap(body: Any) -> Any:
    """The payload inside a ``resultSet`` wrapper (some endpoints add one, some versions not)."""
    if isinstance(body, dict) and isinstance(body.get("resultSet"), dict):
        return body["resultSet"]
    return body


def count(value: Any) -> int | None:
    """``totalRecords`` and friends: a number, a numeric string, or absent."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def rows(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    """The list under ``key`` of a (possibly wrapped) answer; None (a 204) is an empty list."""
    if body is None:
        return []
    payload = unwrap(body)
    if not isinstance(payload, dict):
        raise ApiError(f"unexpected {what} from the CXone ACD API (not an object)")
    found = payload.get(key)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ApiError(f"unexpected {what} from the CXone ACD API ({key} is not a list of objects)")
    return found


def error_text(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from any of the API's error dialects."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("error") or body.get("errorCode")
    message = (
        body.get("error_description")
        or body.get("errorDescription")
        or body.get("errorMessage")
        or body.get("message")
    )
    return (str(code) if code else None), (str(message) if message else None)
