"""Check every response the tests see against the emulator's published OpenAPI."""

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
    text = resources.files("reconciler.emulator").joinpath("openapi.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in spec()["paths"]]


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def check(request: httpx.Request, response: httpx.Response) -> None:
    """Raise AssertionError when the response breaks the contract."""
    path = request.url.path
    template = next((t for rx, t in _routes() if rx.match(path)), None)
    assert template is not None, f"{path} is not in the API"
    operation = spec()["paths"][template].get(request.method.lower())
    assert operation is not None, f"{request.method} {template} is not in the API"
    responses = operation["responses"]
    key = str(response.status_code) if str(response.status_code) in responses else "default"
    assert key in responses, f"{request.method} {template}: undocumented status {response.status_code}"
    declared = responses[key]
    parts = ["paths", template, request.method.lower(), "responses", key]
    if "$ref" in declared:
        parts = declared["$ref"].removeprefix("#/").split("/")
        declared = spec()["components"]["responses"][parts[-1]]
    for header in declared.get("headers", {}):
        if response.status_code < 300 or header == "Retry-After":
            assert header in response.headers, f"{request.method} {path}: missing header {header}"
    content = declared.get("content")
    if not content:
        assert not response.content, f"{request.method} {path}: {response.status_code} should have no body"
        return
    assert response.headers.get("content-type", "").startswith("application/json")
    root = {**spec(), "$ref": _pointer(*parts, "content", "application/json", "schema")}
    jsonschema.Draft202012Validator(root).validate(response.json())


class ContractTransport(httpx.AsyncBaseTransport):
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


class ContractMiddleware:
    """ASGI middleware for a served emulator: checks every response it sends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.checked = 0
        self.violations: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == "/openapi.yaml":
            await self.app(scope, receive, send)
            return
        started: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if not started:  # the client went away before an answer: nothing was sent to check
            return
        request = httpx.Request(scope["method"], f"http://emulator{scope['path']}")
        headers = [(k.decode(), v.decode()) for k, v in started.get("headers", [])]
        response = httpx.Response(
            started.get("status", 500), headers=headers, content=bytes(body), request=request
        )
        try:
            check(request, response)
            self.checked += 1
        except (AssertionError, jsonschema.ValidationError) as exc:
            self.violations.append(f"{scope['method']} {scope['path']} -> {response.status_code}: {exc}")
