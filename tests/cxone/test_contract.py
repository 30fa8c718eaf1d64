"""The contract checker itself catches responses that break cxone-api.yaml."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.contract import ContractMiddleware


async def bad_campaign(request: Request) -> JSONResponse:
    return JSONResponse({"id": "CMP-1", "status": "SLEEPING"})  # no ETag, missing fields, bad enum


async def good_ack(request: Request) -> JSONResponse:
    return JSONResponse({"id": "CMP-1", "status": "STOPPING"}, status_code=202)


async def test_a_response_breaking_the_contract_is_recorded() -> None:
    app = Starlette(
        routes=[
            Route("/api/campaigns/{campaign_id}", bad_campaign),
            Route("/api/campaigns/{campaign_id}/stop", good_ack, methods=["POST"]),
        ]
    )
    checked = ContractMiddleware(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=checked), base_url="http://e") as client:
        await client.get("/api/campaigns/CMP-1")
        await client.post("/api/campaigns/CMP-1/stop")
    assert checked.checked == 1
    assert len(checked.violations) == 1
    assert checked.violations[0].startswith("GET /api/campaigns/CMP-1 -> 200: ")
