"""The emulator takes only what the contract allows: strict JSON types, limits, media types, If-Match."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from reconciler.emulator.app import Emulator
from tests.conftest import BASE
from tests.emulator.test_app import bearer
from tests.specs import api_definition as definition

# --- strict request bodies -------------------------------------------------------------------

LAX = [
    ({"pacing": {"callsPerMinute": "5", "maxConcurrent": 20}}, "pacing.callsPerMinute"),
    ({"pacing": {"callsPerMinute": 5.5, "maxConcurrent": 20}}, "pacing.callsPerMinute"),
    ({"pacing": {"callsPerMinute": True, "maxConcurrent": 20}}, "pacing.callsPerMinute"),
    ({"pacing": {"callsPerMinute": 5, "maxConcurrent": "20"}}, "pacing.maxConcurrent"),
    ({"dnc": {"enforceNational": True, "enforceLocal": 0}}, "dnc.enforceLocal"),
    ({"dnc": {"enforceNational": True, "enforceLocal": 1}}, "dnc.enforceLocal"),
    ({"dnc": {"enforceNational": "yes", "enforceLocal": True}}, "dnc.enforceNational"),
    ({"dnc": {"enforceNational": True, "enforceLocal": "off"}}, "dnc.enforceLocal"),
    ({"dnc": {"enforceNational": True, "enforceLocal": "true"}}, "dnc.enforceLocal"),
    ({"description": 7}, "description"),
    ({"labels": {"team": 1}}, "labels.team"),
]


@pytest.mark.parametrize(("fields", "field"), LAX)
async def test_a_create_with_a_lax_json_type_is_a_validation_error(
    raw: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    response = await raw.post("/api/campaigns", json=definition(**fields), headers=await bearer(raw))
    assert (response.status_code, response.json()["errorCode"]) == (400, "VALIDATION_ERROR")
    assert [d["field"] for d in response.json()["details"]] == [field]
    listed = await raw.get("/api/campaigns", headers=await bearer(raw))
    assert listed.json()["items"] == []


@pytest.mark.parametrize(("fields", "field"), LAX)
async def test_a_patch_with_a_lax_json_type_is_a_validation_error(
    raw: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    headers = await bearer(raw)
    created = await raw.post("/api/campaigns", json=definition(), headers=headers)
    assert created.status_code == 201
    response = await raw.patch(
        f"/api/campaigns/{created.json()['id']}",
        json=fields,
        headers={**headers, "Content-Type": "application/merge-patch+json"},
    )
    assert (response.status_code, response.json()["errorCode"]) == (400, "VALIDATION_ERROR")
    assert [d["field"] for d in response.json()["details"]] == [field]
    unchanged = await raw.get(f"/api/campaigns/{created.json()['id']}", headers=headers)
    assert unchanged.json()["version"] == 1


# --- 405 names what the path allows --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/campaigns/CMP-000001", "DELETE, GET, HEAD, PATCH"),
        ("DELETE", "/api/campaigns", "GET, HEAD, POST"),
        ("GET", "/api/campaigns/CMP-000001/start", "POST"),
        ("POST", "/api/campaigns/CMP-000001/statistics", "GET, HEAD"),
        ("GET", "/oauth/token", "POST"),
    ],
)
async def test_405_carries_an_allow_header_listing_every_method_of_the_path(
    emulator: Emulator, method: str, path: str, allow: str
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url=BASE) as plain:
        response = await plain.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"


# --- limit: plain ASCII digits only ---------------------------------------------------------------


@pytest.mark.parametrize(
    "limit", ["1_0", " 1", "1 ", "+5", "-0", "\u0661\u0660", "\uff11", "", "1e1", "10.0"]
)
async def test_a_limit_that_is_not_plain_ascii_digits_is_a_validation_error(
    raw: httpx.AsyncClient, limit: str
) -> None:
    for path in ("/api/campaigns", "/api/contactlists", "/api/dnclists"):
        response = await raw.get(path, params={"limit": limit}, headers=await bearer(raw))
        assert (response.status_code, response.json()["errorCode"]) == (400, "VALIDATION_ERROR"), path


async def test_a_plain_limit_in_range_pages(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/api/contactlists", params={"limit": "01"}, headers=await bearer(raw))
    assert response.status_code == 200 and len(response.json()["items"]) == 1


# --- If-Match: strong comparison, lists, * ----------------------------------------------------------


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"3"', 200),
        ('"9", "3"', 200),
        ('"9","3" , "8"', 200),
        ("*", 200),
        ('W/"3"', 412),
        ('"9", W/"3"', 412),
        ('"2"', 412),
        ("3", 400),
        ('"3', 400),
    ],
)
async def test_if_match_compares_entity_tags_strongly(
    raw: httpx.AsyncClient, if_match: str, status: int
) -> None:
    headers = await bearer(raw)
    campaign_id = (await raw.post("/api/campaigns", json=definition(), headers=headers)).json()["id"]
    for text in ("v2", "v3"):
        await raw.patch(f"/api/campaigns/{campaign_id}", json={"description": text}, headers=headers)
    patched = await raw.patch(
        f"/api/campaigns/{campaign_id}", json={"description": "v4"}, headers={**headers, "If-Match": if_match}
    )
    assert patched.status_code == status
    deleted = await raw.delete(f"/api/campaigns/{campaign_id}", headers={**headers, "If-Match": if_match})
    if status == 200:
        assert patched.json()["version"] == 4
        assert deleted.status_code == (204 if if_match == "*" else 412)  # now at version 4
    else:
        assert deleted.status_code == status


async def test_if_match_star_does_not_conjure_a_missing_campaign(raw: httpx.AsyncClient) -> None:
    response = await raw.delete("/api/campaigns/CMP-999999", headers={**await bearer(raw), "If-Match": "*"})
    assert response.status_code == 404


# --- media types --------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "json"])
async def test_a_create_not_declared_as_application_json_is_415(
    raw: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {**await bearer(raw), "Idempotency-Key": "k"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await raw.post("/api/campaigns", content=json.dumps(definition()), headers=headers)
    assert (response.status_code, response.json()["errorCode"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in response.json()["errorMessage"]
    assert (await raw.get("/api/campaigns", headers=headers)).json()["items"] == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/merge-patch"])
async def test_a_patch_not_declared_as_merge_patch_or_json_is_415(
    raw: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = await bearer(raw)
    campaign_id = (await raw.post("/api/campaigns", json=definition(), headers=headers)).json()["id"]
    sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
    response = await raw.patch(f"/api/campaigns/{campaign_id}", content=b'{"description": "x"}', headers=sent)
    assert (response.status_code, response.json()["errorCode"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    for accepted in ("application/merge-patch+json", "application/json; charset=utf-8"):
        ok = await raw.patch(
            f"/api/campaigns/{campaign_id}",
            content=json.dumps({"description": accepted}).encode(),
            headers={**headers, "Content-Type": accepted},
        )
        assert ok.status_code == 200


# --- a client that goes away mid-request ------------------------------------------------------------


async def test_a_client_disconnecting_mid_request_is_one_log_line(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.store.save_token("tok", "demo", ["campaign:write"], emulator.store.clock() + 60)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/campaigns",
        "raw_path": b"/api/campaigns",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", b"Bearer tok"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8765),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG):
        await emulator.app(scope, receive, send)
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        ("WARNING", "client disconnected mid-request: POST /api/campaigns", None)
    ]
    assert sent == []
    assert emulator.store.page(None, 10)[0] == []
