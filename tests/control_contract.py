"""Check every control-API response the tests see against the package's control-api.yaml.

The contract lists the error codes every endpoint may answer with in its
description (VALIDATION_ERROR, UPSTREAM_UNAVAILABLE, INTERNAL, ...) without
declaring each status on each path; such an undeclared 4xx/5xx must still be
the contract's ``Error``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import httpx
import jsonschema

from reconciler.service.app import contract

GENERAL_ERRORS = {"400", "404", "405", "500", "503"}


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    # the most specific template first: /campaigns/{name}/launch before /campaigns/{name}
    templates = sorted(contract()["paths"], key=lambda t: (-t.count("/"), t))
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$"), t) for t in templates]


def _validate(schema_pointer: list[str], instance: Any) -> None:
    pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in schema_pointer)
    jsonschema.Draft202012Validator({**contract(), "$ref": pointer}).validate(instance)


def check(request: httpx.Request, response: httpx.Response) -> None:
    raw = request.url.raw_path.decode().split("?", 1)[0]
    template = next((t for rx, t in _routes() if rx.match(raw)), None)
    key = str(response.status_code)
    if template is None:
        assert key == "404", f"{raw} is not in the control API, answered {key}"
        _validate(["components", "schemas", "Error"], response.json())
        return
    operation = contract()["paths"][template].get(request.method.lower())
    if operation is None:
        assert key == "405", f"{request.method} {template} is not in the control API"
        _validate(["components", "schemas", "Error"], response.json())
        return
    responses = operation["responses"]
    if key not in responses:
        assert key in GENERAL_ERRORS, f"{request.method} {template}: undocumented status {key}"
        _validate(["components", "schemas", "Error"], response.json())
        return
    declared = responses[key]
    parts = ["paths", template, request.method.lower(), "responses", key]
    if "$ref" in declared:
        parts = declared["$ref"].removeprefix("#/").split("/")
        declared = contract()["components"]["responses"][parts[-1]]
    for header in declared.get("headers", {}):
        assert header in response.headers, f"{request.method} {raw}: missing header {header}"
    content = declared.get("content") or {}
    if "application/json" in content:
        assert response.headers.get("content-type", "").startswith("application/json")
        _validate([*parts, "content", "application/json", "schema"], response.json())
    elif "text/plain" in content:
        assert response.headers.get("content-type", "").startswith("text/plain")


class ControlContract(httpx.AsyncBaseTransport):
    """Wraps a transport to the control API; every response is checked before the test sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        seen = httpx.Response(response.status_code, headers=response.headers, content=body, request=request)
        check(request, seen)
        self.checked += 1
        return httpx.Response(response.status_code, headers=response.headers, content=body)
