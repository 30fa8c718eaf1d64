"""Identifiers are one percent-encoded path segment: a spec's id cannot steer a request elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from reconciler.cxone.client import CxoneClient
from reconciler.errors import InvalidRequest, NotFound
from tests.conftest import client_over

BASE = "http://127.0.0.1:9"
LIST = {"id": "x", "name": "n", "recordCount": 1, "dncCompliant": True, "scope": "s"}


class Recorder:
    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token" and request.method == "POST":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        self.paths.append(request.url.raw_path)
        return httpx.Response(404, json={"errorCode": "NOT_FOUND", "errorMessage": "no"})


def make(recorder: Recorder) -> CxoneClient:
    return client_over(httpx.MockTransport(recorder))


CALLS: list[tuple[str, Callable[[CxoneClient, str], Awaitable[object]], bytes]] = [
    ("contact list", lambda c, i: c.get_contact_list(i), b"/api/contactlists/"),
    ("dnc list", lambda c, i: c.get_dnc_list(i), b"/api/dnclists/"),
    ("campaign", lambda c, i: c.get_campaign(i), b"/api/campaigns/"),
    ("update", lambda c, i: c.update_campaign(i, {}, version=1), b"/api/campaigns/"),
    ("delete", lambda c, i: c.delete_campaign(i, version=1), b"/api/campaigns/"),
    ("start", lambda c, i: c.start_campaign(i), b"/api/campaigns/"),
    ("stop", lambda c, i: c.stop_campaign(i), b"/api/campaigns/"),
    ("realtime", lambda c, i: c.realtime(i), b"/api/campaigns/"),
    ("statistics", lambda c, i: c.statistics(i), b"/api/campaigns/"),
]


@pytest.mark.parametrize(("name", "call", "prefix"), CALLS, ids=[c[0] for c in CALLS])
async def test_an_id_with_slashes_stays_one_segment_under_api(
    name: str, call: Callable[[CxoneClient, str], Awaitable[object]], prefix: bytes
) -> None:
    recorder = Recorder()
    async with make(recorder) as client:
        with pytest.raises(NotFound):  # the recorder answers 404
            await call(client, "../../oauth/token?x=1#y")
    assert len(recorder.paths) == 1
    path = recorder.paths[0]
    assert path.startswith(prefix + b"..%2F..%2Foauth%2Ftoken%3Fx%3D1%23y")
    assert b"/oauth/token" not in path


@pytest.mark.parametrize("bad", ["", ".", ".."])
async def test_an_empty_or_dot_id_is_refused_before_sending(bad: str) -> None:
    recorder = Recorder()
    async with make(recorder) as client:
        for call in (
            client.get_contact_list(bad),
            client.get_dnc_list(bad),
            client.get_campaign(bad),
            client.stop_campaign(bad),
        ):
            with pytest.raises(InvalidRequest, match="cannot name anything in a URL"):
                await call
    assert recorder.paths == []
