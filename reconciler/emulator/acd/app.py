"""The ACD emulator's HTTP surface: auth, discovery and the Admin API subset of cxone-acd.md section 9.

Every answer is shaped as the research says the real API shapes it, quirks
included (``Quirks``); state lives in ``State``; the dialer's figures come
from the shared ``DialerModel``. Its contract is ``openapi.yaml`` beside it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.acd.quirks import Quirks
from reconciler.emulator.acd.seed import BUSINESS_UNIT, TENANT_ID
from reconciler.emulator.acd.state import State
from reconciler.emulator.dialer import DialerModel

__all__ = ["DEMO_KEY", "DEMO_SECRET", "AcdEmulator", "Refused"]

DEMO_KEY = "demo"
DEMO_SECRET = "demo-secret"  # the emulator's published demo access key, not a secret
AGENTS = 5
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
GENERAL_RANGES = {
    "maximumRatio": (1, 3),
    "maxConcurrentCallsPerAgent": (1, 10),
    "abandonRateThreshold": (0, 99.9),
    "maximumRingingDuration": (1, 60),
    "minimumRetryMinutes": (1, 50000),
    "maximumAttempts": (1, 300),
}
SKILL_FIELDS = (
    "skillName", "campaignId", "notes", "isActive", "agentless", "agentlessPorts", "scriptId",
    "callSuppressionScriptId", "callerIdOverride", "priorityBlending",
)  # fmt: skip


class Refused(Exception):
    """An error answer in the ACD dialect: ``{error, error_description}``."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.headers = status, error, description, headers or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.emulator"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class AcdEmulator:
    """One emulated business unit: state, quirks, and the ASGI app over them."""

    state: State
    quirks: Quirks = field(default_factory=Quirks)
    dialer: DialerModel = field(default_factory=DialerModel)
    version: str = "34.0"
    base_url: str | None = None
    """What discovery answers as ``api_endpoint``; None: the host the request came to."""
    token_lifetime: int = 3600
    requests: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._count = 0
        p = f"/inContactAPI/services/v{self.version}"
        api: list[tuple[str, Handler, str]] = [
            ("/business-unit", self.business_unit, "GET"),
            ("/campaigns", self.list_campaigns, "GET"),
            ("/campaigns", self.create_campaign, "POST"),
            ("/skills", self.list_skills, "GET"),
            ("/skills", self.create_skills, "POST"),
            ("/skills/{skill_id}", self.get_skill, "GET"),
            ("/skills/{skill_id}", self.put_skill, "PUT"),
            ("/skills/{skill_id}/parameters", self.parameters, "GET"),
            ("/skills/{skill_id}/parameters/{block}", self.get_block, "GET"),
            ("/skills/{skill_id}/parameters/{block}", self.put_block, "PUT"),
            ("/skills/{skill_id}/start", self.start, "POST"),
            ("/skills/{skill_id}/stop", self.stop, "POST"),
            ("/skills/{skill_id}/tags", self.skill_tags, "GET"),
            ("/skills/{skill_id}/tags", self.add_skill_tags, "POST"),
            ("/skills/{skill_id}/tags", self.remove_skill_tags, "DELETE"),
            ("/skills/{skill_id}/activity", self.activity, "GET"),
            ("/skills/{skill_id}/summary", self.summary, "GET"),
            ("/tags", self.list_tags, "GET"),
            ("/tags", self.create_tag, "POST"),
            ("/dnc-groups", self.list_dnc_groups, "GET"),
            ("/dnc-groups/{group_id}/scrubbed-skills", self.scrubbed_skills, "GET"),
            ("/dnc-groups/{group_id}/scrubbed-skills/{skill_id}", self.scrub, "POST"),
            ("/dnc-groups/{group_id}/scrubbed-skills/{skill_id}", self.unscrub, "DELETE"),
            ("/lists/call-lists", self.list_call_lists, "GET"),
            ("/lists/call-lists/jobs/{job_id}", self.upload_job, "GET"),
            ("/lists/call-lists/{list_id}", self.get_call_list, "GET"),
            ("/lists/call-lists/{list_id}/upload", self.upload, "POST"),
            ("/wfm-data/skills/dialer-contacts", self.dialer_contacts, "GET"),
        ]
        routes = [
            Route("/auth/token", self.token, methods=["POST"]),
            Route("/authentication/v1/token/access-key", self.access_key_token, methods=["POST"]),
            Route("/.well-known/cxone-configuration", self.discovery, methods=["GET"]),
            Route("/openapi.yaml", self.openapi, methods=["GET"]),
            *(Route(p + path, self._guarded(handler), methods=[method]) for path, handler, method in api),
        ]
        self.app = Starlette(
            routes=routes,
            exception_handlers={404: self._not_found, 405: self._not_allowed},
        )

    # plumbing

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return Refused(404, "NotFound", f"no such resource: {request.url.path}").response()

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        return Refused(405, "MethodNotAllowed", f"{request.method} is not allowed here").response()

    def _guarded(self, handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            self.requests[f"{request.method} {request.url.path}"] += 1
            try:
                self._authorize(request)
                return await handler(request)
            except Refused as refused:
                return refused.response()

        return run

    def _authorize(self, request: Request) -> None:
        self._count += 1
        if self.quirks.require_accept and "application/json" not in request.headers.get("accept", ""):
            raise Refused(406, "NotAcceptable", "No known way to render data")
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token or not self.state.token_valid(token):
            raise Refused(401, "invalid_token", "the access token is expired, revoked or unknown")
        every = self.quirks.revoke_every
        if every and self._count % every == 0:
            self.state.revoke(token)
            raise Refused(401, "invalid_token", "the access token expired")
        every = self.quirks.throttle_every
        if every and self._count % every == 0:
            headers = {"Retry-After": "1"} if (self._count // every) % 2 else {}
            raise Refused(429, "TooManyRequests", "API rate limit exceeded", headers)

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise Refused(400, "InvalidRequest", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "InvalidRequest", "the body must be a JSON object")
        return body

    def _total(self, n: int) -> int | str:
        return str(n) if self.quirks.string_totals else n

    def _wrap(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"resultSet": payload} if self.quirks.result_set else payload

    def _empty(self, items: list[Any]) -> bool:
        return not items and self.quirks.empty_204

    @staticmethod
    def _page(request: Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        """skip/top paging; ``_links.next`` is an absolute URL when there is more."""
        try:
            skip = max(0, int(request.query_params.get("skip", "0")))
            top = max(1, min(1000, int(request.query_params.get("top", "100"))))
        except ValueError:
            raise Refused(400, "InvalidParameter", "skip and top must be integers") from None
        links = {"self": str(request.url)}
        if skip + top < len(items):
            links["next"] = str(request.url.include_query_params(skip=skip + top, top=top))
        return items[skip : skip + top], links

    # auth and discovery

    def _issue(self) -> JSONResponse:
        token = secrets.token_urlsafe(24)
        self.state.save_token(token, self.state.clock() + self.token_lifetime)
        claims = {"tenantId": TENANT_ID, "tenant": "emulated", "icBUId": BUSINESS_UNIT, "icClusterId": "EMU1"}
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "refresh_token": secrets.token_urlsafe(24),
                "expires_in": self.token_lifetime,
                "id_token": _jwt(claims),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def token(self, request: Request) -> Response:
        self.requests["POST /auth/token"] += 1
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "password":
            error = "invalid_request" if not form.get("grant_type") else "unsupported_grant_type"
            return JSONResponse(
                {"error": error, "error_description": "use grant_type=password"}, status_code=400
            )
        if form.get("username") != DEMO_KEY or not secrets.compare_digest(
            form.get("password", ""), DEMO_SECRET
        ):
            return JSONResponse({"error": "invalid_grant", "error_description": "unknown access key"}, 400)
        return self._issue()

    async def access_key_token(self, request: Request) -> Response:
        self.requests["POST /authentication/v1/token/access-key"] += 1
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if (
            not isinstance(body, dict)
            or body.get("accessKeyId") != DEMO_KEY
            or body.get("accessKeySecret") != DEMO_SECRET
        ):
            return JSONResponse({"error": "invalid_grant", "error_description": "unknown access key"}, 401)
        return self._issue()

    async def discovery(self, request: Request) -> Response:
        self.requests["GET /.well-known/cxone-configuration"] += 1
        if request.query_params.get("tenantId") != TENANT_ID:
            return Response(status_code=404)
        base = self.base_url or str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "private": False,
                "ui_endpoint": base,
                "auth_endpoint": base,
                "api_endpoint": base,
                "area": "emu1",
                "cluster": "EMU1",
                "domain": "emulator",
                "uhDomain": "emulator",
                "acdDomain": "emulator",
                "tenantId": TENANT_ID,
            }
        )

    async def openapi(self, request: Request) -> Response:
        text = resources.files("reconciler.emulator.acd").joinpath("openapi.yaml").read_text()
        return Response(text, media_type="application/yaml")

    # business unit and campaigns

    async def business_unit(self, request: Request) -> Response:
        return JSONResponse({"businessUnits": self.state.all("business_unit")})

    async def list_campaigns(self, request: Request) -> Response:
        search = request.query_params.get("searchString", "").lower()
        found = [c for c in self.state.all("campaign") if search in c["name"].lower()]
        page, _ = self._page(request, found)
        rows = [{**c, "lastUpdateTime": _iso(self.state.clock())} for c in page]
        return JSONResponse({"totalRecords": len(found), "campaigns": rows})

    async def create_campaign(self, request: Request) -> Response:
        body = await self._json(request)
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            raise Refused(400, "InvalidParameter", "name is required (1..80 characters)")
        if any(c["name"] == name for c in self.state.all("campaign")):
            raise Refused(409, "Conflict", f"a campaign named {name} exists")
        new = self.state.next_id("campaign")
        self.state.put(
            "campaign", new, {"id": new, "name": name, "isActive": True, "notes": str(body.get("notes", ""))}
        )
        return JSONResponse({"id": new})

    # skills

    def _skill_doc(self, request: Request) -> dict[str, Any]:
        skill = self.state.get("skill", request.path_params["skill_id"])
        if skill is None:
            raise Refused(404, "NotFound", f"skill {request.path_params['skill_id']} not found")
        return skill

    def _running(self, skill: dict[str, Any]) -> bool:
        op, at = skill.get("_op"), float(skill.get("_opAt") or 0)
        now = self.state.clock()
        if op == "start":
            return now >= at + self.quirks.run_delay
        if op == "stop":
            return now < at + float(skill.get("_drain", self.quirks.run_delay))
        return False

    def _dialled(self, skill: dict[str, Any]) -> float:
        """Seconds the skill has been dialling, all runs together."""
        total = float(skill.get("_dialled", 0.0))
        if skill.get("_op") == "start":
            began = float(skill["_opAt"]) + self.quirks.run_delay
            total += max(0.0, self.state.clock() - began)
        return total

    def _view(self, skill: dict[str, Any]) -> dict[str, Any]:
        campaign = self.state.get("campaign", skill.get("campaignId") or 0) or {}
        view = {k: v for k, v in skill.items() if not k.startswith("_")}
        return view | {
            "mediaTypeName": "Phone Call",
            "campaignName": campaign.get("name", ""),
            "isRunning": self._running(skill),
        }

    async def list_skills(self, request: Request) -> Response:
        q = request.query_params
        now = self.state.clock()
        found = []
        for skill in self.state.all("skill"):
            if now < float(skill["_createdAt"]) + self.quirks.list_lag:
                continue  # lists lag creates
            if q.get("searchString", "").lower() not in skill["skillName"].lower():
                continue
            if "mediaTypeId" in q and str(skill["mediaTypeId"]) != q["mediaTypeId"]:
                continue
            if "outboundStrategy" in q and skill.get("outboundStrategy") != q["outboundStrategy"]:
                continue
            if "isActive" in q and str(skill["isActive"]).lower() != q["isActive"].lower():
                continue
            found.append(self._view(skill))
        if self._empty(found):
            return Response(status_code=204)
        page, links = self._page(request, found)
        return JSONResponse(
            {
                "_links": links,
                "businessUnitId": BUSINESS_UNIT,
                "lastPollTime": _iso(now),
                "totalRecords": self._total(len(found)),
                "skills": page,
            }
        )

    def _refuse_item(self, item: Any) -> str | None:
        if not isinstance(item, dict):
            return "each skill must be an object"
        name = item.get("skillName")
        if not isinstance(name, str) or not 1 <= len(name) <= 30:
            return "skillName is required and at most 30 characters"
        if any(s["skillName"] == name for s in self.state.all("skill")):
            return f"a skill named {name} already exists"
        if item.get("mediaTypeId") != 4 or item.get("isOutbound") is not True:
            return "this emulator creates outbound phone skills only (mediaTypeId 4, isOutbound true)"
        if item.get("outboundStrategy") not in ("Personal Connection", "Manual"):
            return "outboundStrategy must be Personal Connection or Manual"
        if self.state.get("campaign", item.get("campaignId") or 0) is None:
            return "campaignId does not name a campaign"
        if item.get("agentless") and not item.get("scriptId"):
            return "an agentless skill needs a scriptId"
        return None

    async def create_skills(self, request: Request) -> Response:
        body = await self._json(request)
        items = body.get("skills")
        if not isinstance(items, list) or not items:
            raise Refused(400, "InvalidRequest", "skills must be a non-empty list")
        results: list[dict[str, Any]] = []
        for item in items:
            error = self._refuse_item(item)
            if error is not None:
                if not self.quirks.batch_item_failure:
                    raise Refused(400, "InvalidParameter", error)
                results.append({"success": False, "error": error})
                continue
            results.append({"success": True, "error": ""} | self._create_skill(item))
        failed = sum(not r["success"] for r in results)
        return JSONResponse({"errorCount": failed, "skillsResults": results})

    def _create_skill(self, item: dict[str, Any]) -> dict[str, Any]:
        now = self.state.clock()
        new = self.state.next_id("skill")
        skill = {
            "skillId": new,
            "skillName": item["skillName"],
            "mediaTypeId": 4,
            "isActive": True,
            "campaignId": item["campaignId"],
            "notes": str(item.get("notes") or ""),
            "isOutbound": True,
            "outboundStrategy": item["outboundStrategy"],
            "agentless": bool(item.get("agentless")),
            "agentlessPorts": int(item.get("agentlessPorts") or 1),
            "scriptId": item.get("scriptId"),
            "callSuppressionScriptId": item.get("callSuppressionScriptId"),
            "callerIdOverride": str(item.get("callerIdOverride") or ""),
            "priorityBlending": False,
            "_createdAt": now,
            "_tags": [],
            "_lists": [],
            "_general": {
                "maximumRatio": 1,
                "aggressiveness": "conservative",
                "abandonRateThreshold": 3.0,
                "abandonRateCutoff": 5.0,
                "overrideBusinessUnitAbandonRate": False,
                "maxConcurrentCallsPerAgent": 1,
                "maxWaitTimeSeconds": 2,
                "maximumRingingDuration": 25,
                "minimumRetryMinutes": 60,
                "maximumAttempts": 3,
            },
            "_schedule": {"isScheduled": False} | {
                f"{d}{k}": v
                for d in DAYS
                for k, v in (("StartTime", "09:00"), ("EndTime", "21:00"), ("IsActive", True))
            },
            "_timeZones": [
                {"standardName": z, "startTime": "09:00", "endTime": "21:00", "timeZoneActiveToCall": True,
                 "overrideTime": False}
                for z in ("Eastern Standard Time", "Central Standard Time", "Pacific Standard Time")
            ],
            "_preferences": {"confirmationRequiredDisabled": True, "confirmationRequiredTimeout": 30},
        }  # fmt: skip
        self.state.put("skill", new, skill)
        if self.quirks.tenant_dnc_default:
            for group in self.state.all("dnc_group"):
                if group.get("tenantDefault"):
                    group["skills"] = [*group["skills"], new]
                    self.state.put("dnc_group", group["dncGroupId"], group)
        return {} if self.quirks.create_omits_id else {"skillId": new}

    async def get_skill(self, request: Request) -> Response:
        return JSONResponse(self._view(self._skill_doc(request)))

    async def put_skill(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        body = (await self._json(request)).get("skill")
        if not isinstance(body, dict):
            raise Refused(400, "InvalidRequest", 'the body is {"skill": {...}}')
        for key in body:
            if key not in SKILL_FIELDS:
                raise Refused(400, "InvalidParameter", f"{key} cannot be changed through PUT /skills/{{id}}")
        name = body.get("skillName", skill["skillName"])
        if not isinstance(name, str) or not 1 <= len(name) <= 30:
            raise Refused(400, "InvalidParameter", "skillName is at most 30 characters")
        if any(s["skillName"] == name and s["skillId"] != skill["skillId"] for s in self.state.all("skill")):
            raise Refused(409, "Conflict", f"a skill named {name} already exists")
        ports = body.get("agentlessPorts", skill["agentlessPorts"])
        if not _number(ports) or not 1 <= ports <= 10:
            raise Refused(400, "InvalidParameter", "agentlessPorts must be 1..10")
        if "campaignId" in body and self.state.get("campaign", body["campaignId"] or 0) is None:
            raise Refused(400, "InvalidParameter", "campaignId does not name a campaign")
        if body.get("isActive") is False and self._running(skill):
            raise Refused(409, "Conflict", "a running skill cannot be deactivated; stop it first")
        if body.get("agentless", skill["agentless"]) and not body.get("scriptId", skill.get("scriptId")):
            raise Refused(400, "InvalidParameter", "an agentless skill needs a scriptId")
        skill.update(body)
        self.state.put("skill", skill["skillId"], skill)
        return JSONResponse({"skillId": skill["skillId"], "success": True})

    # parameter blocks

    def _schedules(self, flat: dict[str, Any]) -> dict[str, Any]:
        return {
            "isScheduled": flat.get("isScheduled", False),
            "schedules": [
                {"day": d.capitalize(), "active": flat[f"{d}IsActive"], "startTime": flat[f"{d}StartTime"],
                 "endTime": flat[f"{d}EndTime"]}
                for d in DAYS
            ],
        }  # fmt: skip

    async def parameters(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        lists = [self.state.get("call_list", i) or {} for i in skill["_lists"]]
        return JSONResponse(
            {
                "skillNo": skill["skillId"],
                "skillName": skill["skillName"],
                "generalSettings": skill["_general"],
                "retrySettings": self._retry(skill),
                "scheduleSettings": self._schedules(skill["_schedule"]),
                "timeZoneSettings": [
                    {("name" if k == "standardName" else k): v for k, v in z.items()}
                    for z in skill["_timeZones"]
                ],
                "callingLists": [{"id": c.get("listId"), "name": c.get("listName")} for c in lists],
                "deliveryPreferences": skill["_preferences"],
            }
        )

    @staticmethod
    def _retry(skill: dict[str, Any]) -> dict[str, Any]:
        general = skill["_general"]
        return {
            "maximumAttempts": general["maximumAttempts"],
            "minimumRetryMinutes": general["minimumRetryMinutes"],
        }

    async def get_block(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        block = request.path_params["block"]
        if block == "general-settings":
            return JSONResponse(skill["_general"])
        if block == "retry-settings":
            return JSONResponse(self._retry(skill))
        if block == "schedule-settings":
            return JSONResponse(skill["_schedule"])
        if block == "time-zones":
            return JSONResponse({"timeZoneSettings": skill["_timeZones"]})
        if block == "delivery-preferences":
            return JSONResponse(skill["_preferences"])
        raise Refused(404, "NotFound", f"no parameter block {block}")

    async def put_block(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        block = request.path_params["block"]
        body = await self._json(request)
        wrapper = {
            "general-settings": "generalSettings",
            "retry-settings": "retrySettings",
            "schedule-settings": "scheduleSettings",
            "time-zones": "timeZoneSettings",
            "delivery-preferences": "deliveryPreferences",
        }.get(block)
        if wrapper is None:
            raise Refused(404, "NotFound", f"no parameter block {block}")
        value: Any = body.get(wrapper)
        if value is None or not isinstance(value, list if block == "time-zones" else dict):
            raise Refused(400, "InvalidRequest", f"the body is {{{wrapper!r}: ...}}")
        if block in ("general-settings", "retry-settings"):
            settings: dict[str, Any] = value if isinstance(value, dict) else {}
            for key, bounds in GENERAL_RANGES.items():
                if (
                    key in settings
                    and settings[key] is not None
                    and not (_number(settings[key]) and bounds[0] <= settings[key] <= bounds[1])
                ):
                    raise Refused(400, "InvalidParameter", f"{key} must be {bounds[0]}..{bounds[1]}")
            skill["_general"].update(value)  # general and retry share maximumAttempts / minimumRetryMinutes
        elif block == "schedule-settings":
            merged = skill["_schedule"] | value
            self._check_schedule(merged)
            skill["_schedule"] = merged
        elif block == "time-zones":
            if not all(isinstance(z, dict) and z.get("standardName") for z in value):
                raise Refused(400, "InvalidParameter", "each time zone needs a standardName")
            skill["_timeZones"] = value
        else:
            skill["_preferences"].update(value)
        self.state.put("skill", skill["skillId"], skill)
        return JSONResponse({})

    def _check_schedule(self, flat: dict[str, Any]) -> None:
        if not flat.get("isScheduled") or not self.quirks.seven_day_schedule:
            return
        for day in DAYS:
            if not flat.get(f"{day}IsActive") or flat.get(f"{day}StartTime") == flat.get(f"{day}EndTime"):
                raise Refused(
                    400,
                    "InvalidParameter",
                    f"{day}: every day of a schedule needs an active, non-empty window",
                )

    # start and stop

    async def start(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        if not skill["isActive"]:
            raise Refused(409, "Conflict", "an inactive skill cannot start")
        if skill.get("_op") == "start":
            if self.quirks.repeat_start_409:
                raise Refused(409, "Conflict", "the skill is already running")
            return Response(status_code=202)
        self._begin(skill)
        return Response(status_code=202)

    def _begin(self, skill: dict[str, Any]) -> None:
        now = self.state.clock()
        if skill.get("_op") == "stop" and self._running(skill):
            now = max(now, float(skill["_opAt"]) + float(skill.get("_drain", 0)))
        skill["_op"], skill["_opAt"] = "start", now
        self.state.put("skill", skill["skillId"], skill)

    async def stop(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        force = request.query_params.get("force", "false").lower()
        if force not in ("true", "false"):
            raise Refused(400, "InvalidParameter", "force must be true or false")
        if skill.get("_op") != "start":
            raise Refused(409, "Conflict", "the skill is not running")
        now = self.state.clock()
        began = float(skill["_opAt"]) + self.quirks.run_delay
        drain = 0.0 if force == "true" else self.quirks.run_delay
        skill["_dialled"] = float(skill.get("_dialled", 0.0)) + max(0.0, now + drain - began)
        skill["_op"], skill["_opAt"], skill["_drain"] = "stop", now, drain
        self.state.put("skill", skill["skillId"], skill)
        return Response(status_code=202)

    # tags

    async def list_tags(self, request: Request) -> Response:
        search = request.query_params.get("searchString", "").lower()
        found = [t for t in self.state.all("tag") if search in t["tagName"].lower()]
        if self._empty(found):
            return Response(status_code=204)
        return JSONResponse({"tags": found})

    async def create_tag(self, request: Request) -> Response:
        name = request.query_params.get("tagName", "")
        if not 1 <= len(name) <= 100:
            raise Refused(400, "InvalidParameter", "tagName is required (at most 100 characters)")
        if any(t["tagName"] == name for t in self.state.all("tag")):
            raise Refused(409, "Conflict", f"a tag named {name} exists")
        new = self.state.next_id("tag")
        tag = {
            "tagId": new,
            "tagName": name,
            "notes": request.query_params.get("notes", ""),
            "isActive": True,
        }
        self.state.put("tag", new, tag)
        return JSONResponse({"tagId": new})

    async def skill_tags(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        tags = [self.state.get("tag", i) or {} for i in skill["_tags"]]
        if self._empty(tags):
            return Response(status_code=204)
        rows = [{"tagId": str(t["tagId"]), "tagName": t["tagName"]} for t in tags]
        payload = {"skillId": str(skill["skillId"]), "tags": rows}
        return JSONResponse({"totalRecords": self._total(len(rows))} | self._wrap(payload))

    def _tag_ids(self, body: dict[str, Any]) -> list[int]:
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, dict) and "tagId" in t for t in tags):
            raise Refused(400, "InvalidRequest", 'the body is {"tags": [{"tagId": ...}]}')
        ids = []
        for t in tags:
            try:
                ids.append(int(t["tagId"]))
            except (TypeError, ValueError):
                raise Refused(400, "InvalidParameter", "tagId must be a number") from None
        return ids

    async def add_skill_tags(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        ids = self._tag_ids(await self._json(request))
        for i in ids:
            if self.state.get("tag", i) is None:
                raise Refused(400, "InvalidParameter", f"tag {i} does not exist")
        skill["_tags"] = sorted(set(skill["_tags"]) | set(ids))
        self.state.put("skill", skill["skillId"], skill)
        return JSONResponse({"resultSet": {}})

    async def remove_skill_tags(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        ids = self._tag_ids(await self._json(request))
        results = [{"tagId": str(i), "success": str(i in skill["_tags"]).lower(), "error": ""} for i in ids]
        skill["_tags"] = [t for t in skill["_tags"] if t not in ids]
        self.state.put("skill", skill["skillId"], skill)
        failed = sum(r["success"] == "false" for r in results)
        return JSONResponse({"errorCount": str(failed), "tagResults": results})

    # DNC groups

    @staticmethod
    def _group_view(group: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in group.items() if k not in ("skills", "tenantDefault")} | {
            "createDate": "2024-01-01T00:00:00.000Z",
            "lastUpdateTime": "2024-01-01T00:00:00.000Z",
        }

    async def list_dnc_groups(self, request: Request) -> Response:
        groups = [self._group_view(g) for g in self.state.all("dnc_group")]
        if self._empty(groups):
            return Response(status_code=204)
        return JSONResponse(self._wrap({"totalGroups": len(groups), "dncGroups": groups}))

    def _group(self, request: Request) -> dict[str, Any]:
        group = self.state.get("dnc_group", request.path_params["group_id"])
        if group is None:
            raise Refused(404, "NotFound", f"DNC group {request.path_params['group_id']} not found")
        return group

    async def scrubbed_skills(self, request: Request) -> Response:
        group = self._group(request)
        skills = [self.state.get("skill", i) or {} for i in group["skills"]]
        found = [{"skillId": s["skillId"], "skillName": s["skillName"]} for s in skills if s]
        if self._empty(found):
            return Response(status_code=204)
        page, links = self._page(request, found)
        return JSONResponse(
            {"_links": links, "totalRecords": self._total(len(found)), "scrubbedSkills": page}
        )

    async def scrub(self, request: Request) -> Response:
        group, skill = self._group(request), self._skill_doc(request)
        group["skills"] = sorted(set(group["skills"]) | {skill["skillId"]})
        self.state.put("dnc_group", group["dncGroupId"], group)
        return Response(status_code=200)

    async def unscrub(self, request: Request) -> Response:
        group, skill = self._group(request), self._skill_doc(request)
        if skill["skillId"] not in group["skills"]:
            raise Refused(404, "NotFound", "the skill is not scrubbed against this group")
        group["skills"] = [s for s in group["skills"] if s != skill["skillId"]]
        self.state.put("dnc_group", group["dncGroupId"], group)
        return Response(status_code=200)

    # calling lists

    def _list_view(self, entry: dict[str, Any]) -> dict[str, Any]:
        size = len(entry["records"])
        skills = [s for s in self.state.all("skill") if entry["listId"] in s["_lists"]]
        return {
            "listId": entry["listId"],
            "listName": entry["listName"],
            "status": entry["status"],
            "totalRecords": size,
            "validRecords": size,
            "invalidRecords": 0,
            "finalizedRecords": 0,
            "skills": [
                {"skillId": str(s["skillId"]), "skillName": s["skillName"], "totalRecords": str(size),
                 "freshRecords": str(size)}
                for s in skills
            ],
        }  # fmt: skip

    async def list_call_lists(self, request: Request) -> Response:
        found = [self._list_view(e) for e in self.state.all("call_list")]
        if self._empty(found):
            return Response(status_code=204)
        page, links = self._page(request, found)
        return JSONResponse({"_links": links, "totalRecords": self._total(len(found)), "callingLists": page})

    def _call_list(self, request: Request) -> dict[str, Any]:
        entry = self.state.get("call_list", request.path_params["list_id"])
        if entry is None:
            raise Refused(404, "NotFound", f"calling list {request.path_params['list_id']} not found")
        return entry

    async def get_call_list(self, request: Request) -> Response:
        entry = self._call_list(request)
        view = self._list_view(entry)
        payload = {k: view[k] for k in ("listName", "status", "totalRecords", "skills")}
        records = entry["records"] if request.query_params.get("includeRecords", "").lower() == "true" else []
        return JSONResponse({"resultSet": payload | {"contactRecords": records}})

    async def upload(self, request: Request) -> Response:
        entry = self._call_list(request)
        body = await self._json(request)
        for key in ("listFile", "forceOverwrite", "expirationDate", "startSkill", "sendEmail"):
            if key not in body:
                raise Refused(400, "InvalidRequest", f"{key} is required")
        try:
            text = base64.b64decode(str(body["listFile"]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Refused(400, "InvalidParameter", "listFile must be a base64 CSV") from None
        if not text.strip():
            raise Refused(400, "InvalidParameter", "listFile is empty")
        skill = self.state.get("skill", body.get("skillId") or 0)
        if skill is None:
            raise Refused(400, "InvalidParameter", "skillId does not name a skill")
        if entry["listId"] not in skill["_lists"]:
            skill["_lists"] = [*skill["_lists"], entry["listId"]]
        self.state.put("skill", skill["skillId"], skill)
        if body.get("startSkill") is True and self.quirks.upload_starts_skill and skill.get("_op") != "start":
            self._begin(self.state.get("skill", skill["skillId"]) or skill)
        job = self.state.next_id("job")
        now = self.state.clock()
        self.state.put("job", job, {"jobId": job, "listId": entry["listId"], "startDate": now})
        return JSONResponse({"jobId": job}, status_code=202)

    async def upload_job(self, request: Request) -> Response:
        job = self.state.get("job", request.path_params["job_id"])
        if job is None:
            raise Refused(404, "NotFound", f"upload job {request.path_params['job_id']} not found")
        done = self.state.clock() >= float(job["startDate"]) + min(1.0, self.quirks.run_delay)
        return JSONResponse(
            {
                "uploadJobs": [
                    {
                        "jobId": job["jobId"],
                        "listId": job["listId"],
                        "isComplete": done,
                        "isCancelled": False,
                        "startDate": _iso(float(job["startDate"])),
                        "completedDate": _iso(self.state.clock()) if done else "",
                    }
                ]
            }
        )

    # figures

    def _figures(self, skill: dict[str, Any]) -> dict[str, Any]:
        general = skill["_general"]
        ratio = int(general.get("maximumRatio") or 1)
        per_minute = ratio * AGENTS * 2
        seconds = self._dialled(skill) * self.dialer.speed
        name = skill["skillName"]
        answer = self.dialer.answer_rate(name, seconds)
        abandon = self.dialer.abandon_rate(name, per_minute, AGENTS * ratio, answer)
        dials = int(per_minute * seconds / 60.0)
        connects = int(dials * answer)
        running = self._running(skill)
        return {
            "dials": dials,
            "connects": connects,
            "abandons": int(connects * abandon),
            "active": self.dialer.active_calls(per_minute, AGENTS * ratio, answer) if running else 0,
            "talk": self.dialer.talk_time(name),
        }

    @staticmethod
    def _dates(request: Request, *required: str) -> None:
        for key in required:
            value = request.query_params.get(key)
            if not value:
                raise Refused(400, "InvalidParameter", f"{key} is required")
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise Refused(400, "InvalidParameter", f"{key} must be an ISO 8601 date") from None

    async def activity(self, request: Request) -> Response:
        skill = self._skill_doc(request)
        figures = self._figures(skill)
        working = min(AGENTS, figures["active"])
        return JSONResponse(
            {
                "lastPollTime": _iso(self.state.clock()),
                "skillActivity": [
                    {
                        "skillId": skill["skillId"],
                        "isOutbound": True,
                        "isActive": skill["isActive"],
                        "agentsLoggedIn": AGENTS,
                        "agentsAvailable": AGENTS - working,
                        "agentsWorking": working,
                        "agentsIdle": 0,
                        "agentsACW": 0,
                        "agentsUnavailable": 0,
                        "contactsActive": figures["active"],
                        "queueCount": 0,
                        "serverTime": _iso(self.state.clock()),
                    }
                ],
            }
        )

    async def summary(self, request: Request) -> Response:
        self._dates(request, "startDate", "endDate")
        skill = self._skill_doc(request)
        f = self._figures(skill)
        talk = int(f["talk"])
        return JSONResponse(
            {
                "skillSummaries": [
                    {
                        "skillId": skill["skillId"],
                        "isOutbound": True,
                        "dials": f["dials"],
                        "connects": f["connects"],
                        "rightPartyConnects": f["connects"],
                        "abandonCount": f["abandons"],
                        "abandonRate": round(100 * f["abandons"] / f["connects"]) if f["connects"] else 0,
                        "contactsHandled": f["connects"] - f["abandons"],
                        "averageHandleTime": f"00:{talk // 60:02d}:{talk % 60:02d}",
                    }
                ]
            }
        )

    async def dialer_contacts(self, request: Request) -> Response:
        self._dates(request, "startDate", "endDate")
        if request.query_params.get("mediaTypeId") not in ("1", "3", "4", "5", "6", "7", "8"):
            raise Refused(400, "InvalidParameter", "mediaTypeId is required")
        stats = []
        for skill in self.state.all("skill"):
            f = self._figures(skill)
            if f["dials"]:
                stats.append(
                    {
                        "skillId": skill["skillId"],
                        "intervalStartDate": request.query_params["startDate"],
                        "dials": f["dials"],
                        "connects": f["connects"],
                        "abandons": f["abandons"],
                        "connectsAHT": f["talk"],
                    }
                )
        return JSONResponse({self.quirks.stats_key: stats})
