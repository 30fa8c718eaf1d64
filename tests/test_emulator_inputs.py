"""The emulator takes only what the contract allows: strict JSON types, limits, media types, If-Match."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.specs import api_definition as definition
from tests.test_emulator import bearer

# --- strict request bodies -------------------------------------------------------------------

LAX = [
    ({"pacing": {"callsPerMinute": "5", "maxConcurrent": 20}}, "pacing.callsPerMinute"),
    ({"pacing": {"callsPerMinute": 5.0, "maxConcurrent": 20}}, "pacing.callsPerMinute"),
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
