"""Lists end: a repeated cursor or an endless list is a clear error, not a loop."""

from __future__ import annotations

import itertools

import httpx
import pytest

from reconciler.cxone import client as client_module
from reconciler.cxone.client import CxoneClient
from reconciler.errors import ApiError
from tests.conftest import client_over

BASE = "http://127.0.0.1:9"


def make(handler: httpx.MockTransport) -> CxoneClient:
    return client_over(handler, base=BASE)


def serving(cursors: itertools.count[int] | None) -> tuple[httpx.MockTransport, list[str]]:
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        pages.append(request.url.params.get("cursor", ""))
        if len(pages) > 50_000:  # the test's own guard against the bug it tests
            return httpx.Response(200, json={"items": [], "nextCursor": None})
        cursor = "same" if cursors is None else f"c{next(cursors)}"
        return httpx.Response(200, json={"items": [], "nextCursor": cursor})

    return httpx.MockTransport(handler), pages


async def test_a_repeated_cursor_stops_the_list_with_a_clear_error() -> None:
    transport, pages = serving(None)
    async with make(transport) as client:
        with pytest.raises(ApiError, match="the same nextCursor twice") as caught:
            await client.list_contact_lists()
    assert pages == ["", "same"]
    assert caught.value.hint is not None


async def test_an_endless_list_stops_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert client_module.MAX_PAGES == 10_000
    monkeypatch.setattr(client_module, "MAX_PAGES", 25)
    transport, pages = serving(itertools.count())
    async with make(transport) as client:
        with pytest.raises(ApiError, match="more than 25 pages of 100 campaigns"):
            await client.list_campaigns()
    assert len(pages) == 25
