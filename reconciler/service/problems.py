"""The control API's errors: a code, an HTTP status and a one-line message (control-api.yaml)."""

from __future__ import annotations

from typing import Any

__all__ = ["Problem", "body"]


class Problem(Exception):
    """A request the service refuses; the app turns it into ``{"error": {code, message}}``."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
