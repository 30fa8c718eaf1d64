"""The dashboard in process: the served control API's app with a plain transport and cookies kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from reconciler.service.app import build_app
from tests.service_harness import BASE, Served

__all__ = ["Browser", "browsing", "csrf_of"]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


class Browser:
    """An httpx client that keeps cookies like a browser; ``sign_in`` posts the sign-in form."""

    def __init__(self, http: httpx.AsyncClient, served: Served) -> None:
        self.http, self.served = http, served

    async def sign_in(self, who: str) -> httpx.Response:
        return await self.http.post(
            "/signin", data={"token": self.served.tokens[who], "next": "/"}, headers={"Origin": BASE}
        )

    async def page(self, path: str) -> str:
        response = await self.http.get(path)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response.text

    async def post(self, path: str, data: dict[str, str], *, origin: str | None = BASE) -> httpx.Response:
        headers = {"Origin": origin} if origin is not None else {}
        return await self.http.post(path, data=data, headers=headers)


@asynccontextmanager
async def browsing(served: Served) -> AsyncIterator[Browser]:
    """A cookie-keeping client on the same controller and operations as ``served``'s API client."""
    app = build_app(served.c, served.ops)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(base_url=BASE, transport=transport) as http:
        yield Browser(http, served)
