"""The API's Error object, raised as an exception inside the emulator."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class Problem(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"errorCode": self.code, "errorMessage": self.message}
        if self.details:
            body["details"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)
