"""Check every ACD emulator response the tests see against reconciler/emulator/acd/openapi.yaml."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import httpx
import jsonschema
import yaml


@cache
def spec() -> dict[str, Any]:
    text = resources.files("reconciler.emulator.acd").joinpath("openapi.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in spec()["paths"]]


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def check(request: httpx.Request, response: httpx.Response) -> None:
    """Raise AssertionError (or a schema error) when the response breaks the contract."""
    # the contract is v34.0's; the emulator serves the same shapes under any version it is built for
    path = re.sub(r"^/inContactAPI/services/v[0-9.]+/", "/inContactAPI/services/v34.0/", request.url.path)
    matches = [t for rx, t in _routes() if rx.match(path)]
    # a literal segment beats a parameter: /lists/call-lists/jobs/{id} before /lists/call-lists/{id}/...
    template = min(matches, key=lambda t: t.count("{"), default=None)
    assert template is not None, f"{path} is not in the ACD contract"
    operation = spec()["paths"][template].get(request.method.lower())
    assert operation is not None, f"{request.method} {template} is not in the ACD contract"
    status = str(response.status_code)
    assert status in operation["responses"], f"{request.method} {template}: undocumented status {status}"
    declared = operation["responses"][status]
    parts = ["paths", template, request.method.lower(), "responses", status]
    if "$ref" in declared:
        parts = declared["$ref"].removeprefix("#/").split("/")
        declared = spec()["components"]["responses"][parts[-1]]
    for header in declared.get("headers", {}):
        assert header in response.headers, f"{request.method} {path}: missing header {header}"
    content = declared.get("content")
    if not content:
        assert not response.content, f"{request.method} {path}: {status} should have no body"
        return
    assert response.headers.get("content-type", "").startswith("application/json"), f"{path}: not JSON"
    root = {**spec(), "$ref": _pointer(*parts, "content", "application/json", "schema")}
    jsonschema.Draft202012Validator(root).validate(response.json())


class AcdContractTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; every response is checked before the client sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        checked = httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )
        if request.url.path != "/openapi.yaml":
            check(request, checked)
            self.checked += 1
        return httpx.Response(response.status_code, headers=response.headers, content=body)
