"""Check every response the tests see against an OpenAPI contract the package publishes.

One checker, three contracts: the CXone Campaigns API the emulator serves
(``CAMPAIGNS``), its ACD flavour (``ACD``) and the control API of
``reconciler serve`` (``CONTROL``). Each names how it finds the path a
request is about and how it treats answers its paths do not declare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import httpx
import jsonschema
import yaml


def _packaged(package: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load(resources.files(package).joinpath("openapi.yaml").read_text())
        return loaded

    return load


def _control() -> dict[str, Any]:
    from reconciler.service.app import contract

    return contract()


@dataclass(frozen=True)
class Contract:
    name: str
    load: Callable[[], dict[str, Any]] = field(repr=False)
    path_of: Callable[[httpx.Request], str] = lambda request: request.url.path
    general_errors: frozenset[str] = frozenset()
    """Statuses any path may answer with, in the contract's ``Error`` shape, though no path declares them."""
    error_headers: bool = True
    """Whether an error response must carry the headers its declaration lists (else only Retry-After)."""
    undeclared_bodies: bool = False
    """Whether an answer whose declaration has no content may still carry a body."""

    @cached_property
    def spec(self) -> dict[str, Any]:
        return self.load()

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern[str], str]]:
        # a literal segment beats a parameter: the template with the fewest parameters wins
        templates = sorted(self.spec["paths"], key=lambda t: (t.count("{"), t))
        return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$"), t) for t in templates]

    def _validate(self, parts: list[str], instance: Any) -> None:
        pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
        jsonschema.Draft202012Validator({**self.spec, "$ref": pointer}).validate(instance)

    def _general_error(self, status: str, response: httpx.Response, why: str) -> None:
        assert status in self.general_errors, why
        self._validate(["components", "schemas", "Error"], response.json())

    def check(self, request: httpx.Request, response: httpx.Response) -> None:
        """Raise AssertionError (or a schema error) when the response breaks the contract."""
        path, method, status = self.path_of(request), request.method.lower(), str(response.status_code)
        template = next((t for rx, t in self._routes if rx.match(path)), None)
        if template is None:
            return self._general_error(status, response, f"{path} is not in the {self.name}")
        operation = self.spec["paths"][template].get(method)
        if operation is None:
            return self._general_error(
                status, response, f"{request.method} {template} is not in the {self.name}"
            )
        responses = operation["responses"]
        key = status if status in responses else "default" if "default" in responses else None
        if key is None:
            why = f"{request.method} {template}: undocumented status {status}"
            return self._general_error(status, response, why)
        declared = responses[key]
        parts = ["paths", template, method, "responses", key]
        if "$ref" in declared:
            parts = declared["$ref"].removeprefix("#/").split("/")
            declared = self.spec["components"]["responses"][parts[-1]]
        for header in declared.get("headers", {}):
            if self.error_headers or response.status_code < 300 or header == "Retry-After":
                assert header in response.headers, f"{request.method} {path}: missing header {header}"
        content = declared.get("content") or {}
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if not content:
            assert self.undeclared_bodies or not response.content, (
                f"{request.method} {path}: no body expected"
            )
        elif "application/json" in content:
            assert kind == "application/json", f"{request.method} {path}: {kind or 'no type'}, not JSON"
            self._validate([*parts, "content", "application/json", "schema"], response.json())
        else:
            assert kind in content, (
                f"{request.method} {path}: {kind or 'no type'}, not one of {list(content)}"
            )
        return None


CAMPAIGNS = Contract("Campaigns API", _packaged("reconciler.emulator"), error_headers=False)
ACD = Contract(
    "ACD contract",
    _packaged("reconciler.emulator.acd"),
    # the contract is v34.0's; the emulator serves the same shapes under any version it is built for
    path_of=lambda request: re.sub(
        r"^/inContactAPI/services/v[0-9.]+/", "/inContactAPI/services/v34.0/", request.url.path
    ),
)
CONTROL = Contract(
    "control API",
    _control,
    path_of=lambda request: request.url.raw_path.decode().split("?", 1)[0],
    # the contract lists the codes any endpoint may answer with in its description, not on each path
    general_errors=frozenset({"400", "404", "405", "500", "503"}),
    undeclared_bodies=True,  # e.g. /readyz and the webhook declare a status only
)
UNCHECKED = ("/openapi.yaml", "/openapi.json")


class ContractTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; every response is checked before the client sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, contract: Contract = CAMPAIGNS) -> None:
        self.inner = inner
        self.contract = contract
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        seen = httpx.Response(response.status_code, headers=response.headers, content=body, request=request)
        if request.url.path not in UNCHECKED or self.contract is CONTROL:
            self.contract.check(request, seen)
            self.checked += 1
        return httpx.Response(response.status_code, headers=response.headers, content=body)


def AcdContractTransport(inner: httpx.AsyncBaseTransport) -> ContractTransport:
    return ContractTransport(inner, ACD)


def ControlContract(inner: httpx.AsyncBaseTransport) -> ContractTransport:
    return ContractTransport(inner, CONTROL)


class ContractMiddleware:
    """ASGI middleware for a served emulator: checks every response it sends."""

    def __init__(self, app: Any, contract: Contract = CAMPAIGNS) -> None:
        self.app = app
        self.contract = contract
        self.checked = 0
        self.violations: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in UNCHECKED:
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
            self.contract.check(request, response)
            self.checked += 1
        except (AssertionError, jsonschema.ValidationError) as exc:
            self.violations.append(f"{scope['method']} {scope['path']} -> {response.status_code}: {exc}")
