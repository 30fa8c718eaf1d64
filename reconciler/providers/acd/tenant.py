"""`provider: cxone-acd`: a business unit's Personal Connection skills as a ``Tenant``.

A campaign is an outbound skill. Writes are sagas of GET-modify-PUT per
parameter block; with no ETag in this API every write first re-reads the
skill and refuses (``PreconditionFailed``) when it changed since the plan
read it. Start and stop answer 202 and flip ``isRunning`` later: until the
flip shows, the campaign reads as INITIALIZING or STOPPING.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler import aio
from reconciler.doctor import Probe
from reconciler.errors import (
    ApiError,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    OperationFailed,
    PreconditionFailed,
)
from reconciler.providers.acd.client import AcdClient
from reconciler.providers.acd.mapping import (
    ACD_RANGES,
    Finding,
    apply_changes,
    check,
    iana_zone,
    label_tags,
    schedule_body,
)
from reconciler.providers.acd.options import AcdOptions
from reconciler.providers.acd.reads import SkillDocs, definition, revision
from reconciler.providers.acd.wire import count, rows, unwrap
from reconciler.spec.diagnostics import Diagnostic, Severity
from reconciler.spec.source import LoadedCampaign, loc_of
from reconciler.tenant import (
    ContactListInfo,
    DncListInfo,
    FieldChange,
    LiveCampaign,
    Realtime,
    Statistics,
    Status,
    Traffic,
)

__all__ = ["NO_ETAG_NOTE", "PHONE", "STRATEGY", "AcdTenant", "Unsupported"]

PHONE = 4
STRATEGY = "Personal Connection"
_SKILL_WRITABLE = (
    "skillName",
    "campaignId",
    "notes",
    "isActive",
    "agentless",
    "agentlessPorts",
    "scriptId",
    "callSuppressionScriptId",
    "callerIdOverride",
    "priorityBlending",
)
_GENERAL_KEYS = (
    "maximumRatio",
    "maxConcurrentCallsPerAgent",
    "abandonRateThreshold",
    "maximumRingingDuration",
)
_RETRY_KEYS = ("maximumAttempts", "minimumRetryMinutes")
_SKILL_ACD_KEYS = ("campaign", "scriptId", "callSuppressionScriptId")
_READ_CONCURRENCY = 8


class Unsupported(InvalidRequest):
    """A change asks what the ACD API cannot do; ``findings`` name each field and what to write instead."""

    def __init__(self, name: str, findings: Sequence[Finding]) -> None:
        listed = "; ".join(f"{f.path}: {f.message}" for f in findings)
        super().__init__(f"{name}: {listed}", code="UNSUPPORTED_BY_ACD", hint="change the spec as named")
        self.findings = list(findings)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _duration(value: Any) -> float | None:
    """'00:02:30', 'PT150S' or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.startswith("PT") and text.endswith("S"):
        try:
            return float(text[2:-1])
        except ValueError:
            return None
    parts = text.split(":")
    try:
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
    except ValueError:
        return None
    return seconds


def _related(finding: Finding, tops: set[str]) -> bool:
    top = finding.path.split(".", 1)[0]
    if top == "metadata":
        return "name" in tops
    if top in ("acd", "pacing") and "dialerType" in tops:
        return True
    return top in tops


NO_ETAG_NOTE = (
    "provider cxone-acd: the CXone ACD API has no ETag, so apply re-reads each skill just before "
    "writing it and refuses (exit 3) when it changed since this plan; plan again then"
)


class AcdTenant:
    """A business unit reached through ``AcdClient``."""

    provider = "cxone-acd"
    plan_notes = (NO_ETAG_NOTE,)

    def __init__(self, client: AcdClient, options: AcdOptions) -> None:
        self.client = client
        self.options = options
        self._pending: dict[str, tuple[bool, float]] = {}
        self._business_unit: dict[str, Any] | None = None
        self._groups_seen = 2
        self._tag_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"AcdTenant({self.client!r})"

    @property
    def traffic(self) -> Traffic:
        return Traffic(sent=dict(self.client.sent), rate_limited=self.client.rate_limited)

    def list_cost(self, campaigns: int) -> int:
        pages = max(1, -(-campaigns // self.options.page_size))
        return pages + 2 * campaigns + 1 + self._groups_seen

    def doctor_probes(self) -> list[Probe]:
        """What ``reconciler doctor`` asks of the business unit (reads only)."""
        from reconciler.providers.acd.doctor import AcdDoctor

        return AcdDoctor(self).probes()

    # reading

    async def business_unit(self) -> dict[str, Any]:
        if self._business_unit is None:
            units = rows(
                await self.client.get("/business-unit", "business unit"), "businessUnits", "business unit"
            )
            if not units:
                raise ApiError(
                    "GET /business-unit answered no business unit", hint="check the access key's user"
                )
            self._business_unit = units[0]
        return self._business_unit

    async def schedule_zone(self, *, required: bool) -> str | None:
        """The IANA zone skill schedules run in: configured, or the business unit's default [I]."""
        if self.options.schedule_time_zone:
            return self.options.schedule_time_zone
        unit = await self.business_unit()
        zone = iana_zone(str(unit.get("defaultTimeZone") or ""))
        if zone is None and required:
            raise ConfigError(
                f"the business unit's defaultTimeZone {unit.get('defaultTimeZone')!r} is not an IANA zone, "
                "and skill schedules run in it",
                hint="set CXONE_ACD_SCHEDULE_TIMEZONE to the IANA name of that zone, e.g. America/New_York",
            )
        return zone

    async def _groups(self) -> dict[str, int]:
        body = await self.client.get("/dnc-groups", "DNC groups")
        groups = {
            str(g["dncGroupName"]): int(g["dncGroupId"])
            for g in rows(body, "dncGroups", "DNC groups")
            if g.get("isActive", True) and not g.get("isRemoved")
        }
        self._groups_seen = len(groups)
        return groups

    async def _scrubbed(self) -> dict[str, list[str]]:
        """Skill id -> names of the groups it is scrubbed against (no reverse lookup exists)."""
        groups = await self._groups()
        found: dict[str, list[str]] = {}

        async def one(name: str, group_id: int) -> None:
            skills = await self.client.all(
                f"/dnc-groups/{group_id}/scrubbed-skills", "scrubbedSkills", "skill"
            )
            for s in skills:
                found.setdefault(str(s.get("skillId")), []).append(name)

        await aio.gather(*(one(n, i) for n, i in groups.items()))
        return found

    async def _skill(self, skill_id: str) -> dict[str, Any]:
        body = await self.client.get(f"/skills/{skill_id}", "skill")
        payload = unwrap(body)
        if isinstance(payload, dict) and isinstance(payload.get("skills"), list) and payload["skills"]:
            payload = payload["skills"][0]
        if not isinstance(payload, dict) or "skillId" not in payload:
            raise ApiError(f"unexpected skill {skill_id} from the CXone ACD API")
        return payload

    async def _docs(self, skill: dict[str, Any], scrubbed: Mapping[str, list[str]]) -> SkillDocs:
        skill_id = str(skill["skillId"])
        params, tags = await aio.pair(
            self.client.get(f"/skills/{skill_id}/parameters", "skill parameters"),
            self.client.get(f"/skills/{skill_id}/tags", "skill tags"),
        )
        names = [str(t.get("tagName")) for t in rows(tags, "tags", "skill tags")]
        return SkillDocs(skill, unwrap(params) or {}, names, scrubbed.get(skill_id, []))

    def _status(self, skill_id: str, running: bool) -> Status:
        pending = self._pending.get(skill_id)
        if pending is not None:
            wanted, deadline = pending
            if running == wanted or self.client.runtime.monotonic() >= deadline:
                del self._pending[skill_id]
            else:
                return Status.INITIALIZING if wanted else Status.STOPPING
        return Status.RUNNING if running else Status.STOPPED

    async def _live(self, docs: SkillDocs) -> LiveCampaign:
        zone = await self.schedule_zone(required=False)
        shape = definition(
            docs,
            tenant_dnc_group=self.options.tenant_dnc_group,
            schedule_zone=zone,
            preview=self.options.preview_preferences,
        )
        return LiveCampaign(
            id=docs.skill_id,
            name=shape["name"],
            status=self._status(docs.skill_id, docs.running),
            revision=revision(docs),
            definition=shape,
        )

    @staticmethod
    def _dialing(skill: Mapping[str, Any]) -> bool:
        return (
            bool(skill.get("isActive", True))
            and skill.get("isOutbound") is not False
            and skill.get("outboundStrategy", STRATEGY) == STRATEGY
            and skill.get("mediaTypeId", PHONE) == PHONE
        )

    async def campaigns(self) -> list[LiveCampaign]:
        params = {"mediaTypeId": PHONE, "outboundStrategy": STRATEGY, "isActive": "true"}
        listed, scrubbed = await aio.pair(
            self.client.all("/skills", "skills", "skill", params), self._scrubbed()
        )
        skills = [s for s in listed if self._dialing(s)]
        slots = asyncio.Semaphore(_READ_CONCURRENCY)

        async def one(skill: dict[str, Any]) -> LiveCampaign:
            async with slots:
                return await self._live(await self._docs(skill, scrubbed))

        return list(await aio.gather(*(one(s) for s in skills)))

    async def _read(self, skill_id: str) -> SkillDocs:
        skill, scrubbed = await aio.pair(self._skill(skill_id), self._scrubbed())
        if not self._dialing(skill):
            raise NotFound(f"skill {skill_id} is not an active Personal Connection skill", status=404)
        return await self._docs(skill, scrubbed)

    async def campaign(self, campaign_id: str) -> LiveCampaign:
        return await self._live(await self._read(campaign_id))

    async def check_specs(self, specs: Sequence[LoadedCampaign]) -> list[Diagnostic]:
        """What the specs ask that this API cannot honour, at their spec lines (``mapping.check``)."""
        unit = await self.business_unit()
        scheduled = any(s.campaign.spec.schedule is not None for s in specs)
        zone = await self.schedule_zone(required=scheduled) if scheduled else None
        found: list[Diagnostic] = []
        for loaded in specs:
            shape = loaded.campaign.definition()
            findings = check(
                shape,
                shape.get("acd"),
                tenant_dnc_group=self.options.tenant_dnc_group,
                business_unit_zone=zone,
                allow_predictive=unit.get("allowPredictiveDialing"),
            )
            for finding in findings:
                field = finding.path if finding.path.startswith("metadata.") else f"spec.{finding.path}"
                line, column = loaded.source.locate(loc_of(field))
                severity: Severity = "warning" if finding.severity == "warning" else "error"
                found.append(Diagnostic(loaded.path, line, column, severity, field, finding.message))
        return found

    # writing

    async def _refuse_unsupported(
        self, name: str, target: Mapping[str, Any], fields: Sequence[FieldChange]
    ) -> None:
        tops = {f.top for f in fields}
        acd_given = {f.path.split(".", 1)[1]: f.after for f in fields if f.top == "acd" and "." in f.path}
        acd_given.setdefault("scriptId", (target.get("acd") or {}).get("scriptId"))
        unit = await self.business_unit()
        zone = await self.schedule_zone(required=target.get("schedule") is not None and "schedule" in tops)
        findings = check(
            target,
            acd_given,
            tenant_dnc_group=self.options.tenant_dnc_group,
            business_unit_zone=zone,
            allow_predictive=unit.get("allowPredictiveDialing"),
        )
        refused = [f for f in findings if f.severity == "error" and _related(f, tops)]
        if refused:
            raise Unsupported(name, refused)

    async def _modify(
        self, path: str, wrapper: str, change: Callable[[dict[str, Any]], dict[str, Any]], what: str
    ) -> None:
        """GET-modify-PUT one parameter block; nothing is sent when nothing changes."""
        current = unwrap(await self.client.get(path, what)) or {}
        if not isinstance(current, dict):
            raise ApiError(f"unexpected {what} from the CXone ACD API")
        wanted = change(dict(current))
        if wanted != current:
            await self.client.send("PUT", path, what, json={wrapper: wanted})

    async def _campaign_id(self, name: str) -> int:
        found = await self.client.all("/campaigns", "campaigns", "campaign", {"searchString": name})
        for c in found:
            if (c.get("name") or c.get("campaignName")) == name:
                return int(c.get("id") or c.get("campaignId") or 0)
        if not self.options.create_campaign:
            raise ConfigError(
                f"the reporting campaign {name!r} does not exist in the business unit",
                hint="create it in CXone, or name an existing one in spec.acd.campaign / CXONE_ACD_CAMPAIGN",
            )
        created = await self.client.send(
            "POST", "/campaigns", "campaign", json={"name": name, "isActive": True}
        )
        if not isinstance(created, dict) or "id" not in created:
            raise ApiError(f"creating the reporting campaign {name!r} answered no id")
        return int(created["id"])

    async def _write_skill(self, skill_id: str, target: Mapping[str, Any], acd_changed: set[str]) -> None:
        acd = target.get("acd") or {}
        campaign = (
            await self._campaign_id(acd["campaign"])
            if "campaign" in acd_changed and acd.get("campaign")
            else None
        )
        current = await self._skill(skill_id)
        body = {k: current[k] for k in _SKILL_WRITABLE if k in current}
        wanted = dict(body)
        wanted["notes"] = target.get("description") or ""
        agentless = target.get("dialerType") == "AGENTLESS"
        wanted["agentless"] = agentless
        ports = (target.get("pacing") or {}).get("maxConcurrent")
        if agentless and ports is not None:
            wanted["agentlessPorts"] = ports
        if campaign is not None:
            wanted["campaignId"] = campaign
        for key in ("scriptId", "callSuppressionScriptId"):
            if key in acd_changed:
                wanted[key] = acd.get(key)
        if wanted != body:
            await self.client.send("PUT", f"/skills/{skill_id}", "skill", json={"skill": wanted})

    def _general(
        self, target: Mapping[str, Any], acd_changed: set[str]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        acd = target.get("acd") or {}

        def change(block: dict[str, Any]) -> dict[str, Any]:
            for key in _GENERAL_KEYS:
                if key in acd_changed and acd.get(key) is not None:
                    block[key] = acd[key]
            if "abandonRateThreshold" in acd_changed and acd.get("abandonRateThreshold") is not None:
                block["overrideBusinessUnitAbandonRate"] = True
            kind = target.get("dialerType")
            ratio = block.get("maximumRatio")
            if kind == "PROGRESSIVE":
                block["maximumRatio"] = 1
            elif kind == "PREDICTIVE" and not (isinstance(ratio, int) and ratio > 1):
                block["maximumRatio"] = self.options.predictive_ratio
            return block

        return change

    def _preferences(self, preview: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
        wanted = dict(self.options.preview_preferences)

        def change(block: dict[str, Any]) -> dict[str, Any]:
            if preview:
                block.update(wanted)
                return block
            if all(block.get(k) == v for k, v in wanted.items()):
                flips = {k: not v for k, v in wanted.items() if isinstance(v, bool)}
                if not flips:
                    raise ConfigError(
                        "leaving PREVIEW needs a yes/no delivery preference to switch back",
                        hint="include a boolean such as confirmationRequiredDisabled in preview_preferences",
                    )
                block.update(flips)
            return block

        return change

    async def _tag_id(self, name: str) -> int:
        if name not in self._tag_ids:
            body = await self.client.get("/tags", "tags", {"searchString": name})
            for tag in rows(body, "tags", "tags"):
                self._tag_ids[str(tag.get("tagName"))] = int(tag["tagId"])
        if name not in self._tag_ids:
            created = await self.client.send("POST", "/tags", "tag", params={"tagName": name})
            if not isinstance(created, dict) or "tagId" not in created:
                raise ApiError(f"creating tag {name!r} answered no tagId")
            self._tag_ids[name] = int(created["tagId"])
        return self._tag_ids[name]

    async def _write_tags(self, skill_id: str, labels: Mapping[str, str]) -> None:
        body = await self.client.get(f"/skills/{skill_id}/tags", "skill tags")
        current = {str(t.get("tagName")): int(t["tagId"]) for t in rows(body, "tags", "skill tags")}
        wanted = label_tags(labels)
        stale = [i for name, i in current.items() if "=" in name and name not in wanted]
        missing = sorted(wanted - set(current))
        if missing:
            ids = [await self._tag_id(name) for name in missing]
            await self.client.send(
                "POST", f"/skills/{skill_id}/tags", "skill tags", json={"tags": [{"tagId": i} for i in ids]}
            )
        if stale:
            await self.client.send(
                "DELETE",
                f"/skills/{skill_id}/tags",
                "skill tags",
                json={"tags": [{"tagId": i} for i in stale]},
            )

    async def _write_dnc(self, skill_id: str, dnc: Mapping[str, Any], current: Sequence[str]) -> None:
        groups = await self._groups()
        wanted = set(dnc.get("listIds") or ())
        tenant = self.options.tenant_dnc_group
        if tenant is not None:
            (wanted.add if dnc.get("enforceLocal") else wanted.discard)(tenant)
        unknown = sorted(wanted - set(groups))
        if unknown:
            raise InvalidRequest(
                f"DNC group(s) {', '.join(unknown)} do not exist in the business unit",
                hint="dnc.listIds names DNC groups by name; create them in CXone first",
            )
        for name in sorted(wanted - set(current)):
            await self.client.send("POST", f"/dnc-groups/{groups[name]}/scrubbed-skills/{skill_id}", "scrub")
        for name in sorted(set(current) - wanted):
            if name in groups:
                await self.client.send(
                    "DELETE", f"/dnc-groups/{groups[name]}/scrubbed-skills/{skill_id}", "scrub"
                )

    async def _calling_list(self, name: str) -> dict[str, Any] | None:
        for entry in await self.client.all("/lists/call-lists", "callingLists", "calling list"):
            if str(entry.get("listName")) == name or str(entry.get("listId")) == name:
                return entry
        return None

    async def _upload(self, skill_id: str, list_name: str) -> None:
        """Bind a calling list to the skill: upload its records with ``startSkill`` false [I]."""
        entry = await self._calling_list(list_name)
        if entry is None:
            raise InvalidRequest(f"calling list {list_name!r} does not exist in the business unit")
        list_id = entry["listId"]
        body = await self.client.get(
            f"/lists/call-lists/{list_id}", "calling list", {"includeRecords": "true"}
        )
        records = [r for r in (unwrap(body) or {}).get("contactRecords") or [] if isinstance(r, dict)]
        if not records:
            raise OperationFailed(
                f"calling list {list_name!r} gave no records to upload to the skill",
                hint="upload the list to the skill in CXone (start skill off), then plan again",
            )
        columns = sorted({k for r in records for k in r})
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
        now = datetime.fromtimestamp(self.client.runtime.wall(), UTC)
        unit = await self.business_unit()
        job = await self.client.send(
            "POST",
            f"/lists/call-lists/{list_id}/upload",
            "upload",
            json={
                "listFile": base64.b64encode(out.getvalue().encode()).decode(),
                "fileName": f"{list_name}.csv",
                "skillId": int(skill_id),
                "defaultTimeZone": unit.get("defaultTimeZone"),
                "forceOverwrite": False,
                "expirationDate": (now + timedelta(days=365)).strftime("%Y-%m-%d"),
                "startSkill": False,
                "sendEmail": False,
            },
        )
        job_id = job.get("jobId") if isinstance(job, dict) else None
        if job_id is None:
            raise ApiError(f"the upload of {list_name!r} answered no jobId")
        runtime = self.client.runtime
        deadline = runtime.monotonic() + self.options.upload_timeout
        while True:
            status = rows(
                await self.client.get(f"/lists/call-lists/jobs/{job_id}", "upload job"), "uploadJobs", "job"
            )
            state = status[0] if status else {}
            if state.get("isCancelled"):
                raise OperationFailed(f"the upload of {list_name!r} to skill {skill_id} was cancelled")
            if state.get("isComplete"):
                return
            if runtime.monotonic() >= deadline:
                raise OperationFailed(
                    f"the upload of {list_name!r} did not complete in {self.options.upload_timeout:g} s",
                    hint="check the job in CXone, then plan again",
                )
            await runtime.sleep(2.0)

    async def _pace(self, skill_id: str, ratio: Any) -> LiveCampaign:
        """Adaptive pacing's one write: ``maximumRatio`` alone, 1..3, whatever the dialer type reads as."""
        low, high = ACD_RANGES["maximumRatio"] or (1, 3)
        if not (isinstance(ratio, int) and low <= ratio <= high):
            raise Unsupported(
                skill_id, [Finding("acd.maximumRatio", f"must be a whole number from 1 to 3, got {ratio!r}")]
            )
        await self._modify(
            f"/skills/{skill_id}/parameters/general-settings",
            "generalSettings",
            lambda block: block | {"maximumRatio": ratio},
            "general settings",
        )
        return await self.campaign(skill_id)

    async def _write(
        self, skill_id: str, current: LiveCampaign, fields: Sequence[FieldChange]
    ) -> LiveCampaign:
        target = apply_changes(current.definition, fields)
        await self._refuse_unsupported(current.name, target, fields)
        tops = {f.top for f in fields}
        acd_changed = {f.path.split(".", 1)[1] for f in fields if f.top == "acd" and "." in f.path}
        acd_changed |= set(ACD_RANGES) if "acd" in {f.path for f in fields} else set()
        base = f"/skills/{skill_id}/parameters"
        if "labels" in tops:  # ownership first: a saga cut short still shows as ours
            await self._write_tags(skill_id, target.get("labels") or {})
        if tops & {"description", "dialerType", "pacing"} or acd_changed & set(_SKILL_ACD_KEYS):
            await self._write_skill(skill_id, target, acd_changed)
        if "dialerType" in tops or acd_changed & set(_GENERAL_KEYS):
            await self._modify(
                f"{base}/general-settings",
                "generalSettings",
                self._general(target, acd_changed),
                "general settings",
            )
        if acd_changed & set(_RETRY_KEYS):
            acd = target.get("acd") or {}

            def retry(block: dict[str, Any]) -> dict[str, Any]:
                return block | {k: acd[k] for k in _RETRY_KEYS if k in acd_changed and acd.get(k) is not None}

            await self._modify(f"{base}/retry-settings", "retrySettings", retry, "retry settings")
        if "schedule" in tops:
            wanted = schedule_body(target.get("schedule"))
            await self._modify(
                f"{base}/schedule-settings",
                "scheduleSettings",
                lambda block: block | wanted,
                "schedule settings",
            )
        if "timeZones" in acd_changed and (target.get("acd") or {}).get("timeZones") is not None:
            zones = [
                {**z, "timeZoneActiveToCall": True, "overrideTime": True} for z in target["acd"]["timeZones"]
            ]
            await self.client.send(
                "PUT", f"{base}/time-zones", "time zones", json={"timeZoneSettings": zones}
            )
        if "dialerType" in tops:
            preview = target.get("dialerType") == "PREVIEW"
            await self._modify(
                f"{base}/delivery-preferences",
                "deliveryPreferences",
                self._preferences(preview),
                "delivery preferences",
            )
        if "dnc" in tops:
            live_dnc = current.definition.get("dnc") or {}
            tenant = self.options.tenant_dnc_group
            present = list(live_dnc.get("listIds") or []) + (
                [tenant] if tenant and live_dnc.get("enforceLocal") else []
            )
            await self._write_dnc(skill_id, target.get("dnc") or {}, present)
        if "contactListId" in tops and target.get("contactListId"):
            await self._upload(skill_id, str(target["contactListId"]))
        return await self.campaign(skill_id)

    async def _resolve(self, name: str) -> dict[str, Any] | None:
        """The skill of this name, looked up with a bounded retry (lists lag creates) [V:MCP]."""
        for attempt in range(self.options.resolve_attempts):
            found = await self._named(name)
            if found is not None:
                return found
            if attempt + 1 < self.options.resolve_attempts:
                await self.client.runtime.sleep(self.options.resolve_delay)
        return None

    async def _named(self, name: str) -> dict[str, Any] | None:
        listed = await self.client.all("/skills", "skills", "skill", {"searchString": name})
        return next((s for s in listed if s.get("skillName") == name), None)

    async def create(self, name: str, fields: Sequence[FieldChange], *, attempt: str) -> LiveCampaign:
        empty: dict[str, Any] = {
            "name": name,
            "description": "",
            "dialerType": "PROGRESSIVE",
            "pacing": {"callsPerMinute": None, "maxConcurrent": None},
            "contactListId": None,
            "dnc": {"enforceNational": False, "enforceLocal": None, "listIds": []},
            "schedule": None,
            "labels": {},
            "acd": {},
        }
        target = apply_changes(empty, fields)
        await self._refuse_unsupported(name, target, [*fields, FieldChange("name", None, name)])
        existing = await self._named(name)
        if existing is not None and existing.get("isActive", True):
            raise Conflict(
                f"a skill named {name!r} already exists",
                status=409,
                code="DUPLICATE_NAME",
                hint="plan again: it is adopted with --adopt, or rename the spec",
            )
        acd = target.get("acd") or {}
        campaign_id = await self._campaign_id(str(acd.get("campaign") or self.options.campaign))
        if existing is not None:  # deactivated (deleted) earlier: bring it back rather than clash
            skill_id = str(existing["skillId"])
            skill = await self._skill(skill_id)
            body = {k: skill[k] for k in ("skillName", "campaignId", "notes") if k in skill}
            await self.client.send(
                "PUT",
                f"/skills/{skill_id}",
                "skill",
                json={"skill": body | {"isActive": True, "campaignId": campaign_id}},
            )
        else:
            skill_id = await self._post_skill(name, target, campaign_id)
        current = await self.campaign(skill_id)
        return await self._write(skill_id, current, fields)

    async def _post_skill(self, name: str, target: Mapping[str, Any], campaign_id: int) -> str:
        acd = target.get("acd") or {}
        item: dict[str, Any] = {
            "skillName": name,
            "mediaTypeId": PHONE,
            "isOutbound": True,
            "outboundStrategy": STRATEGY,
            "campaignId": campaign_id,
            "notes": target.get("description") or "",
        }
        if target.get("dialerType") == "AGENTLESS":
            item |= {"agentless": True, "scriptId": acd.get("scriptId")}
            if (target.get("pacing") or {}).get("maxConcurrent") is not None:
                item["agentlessPorts"] = target["pacing"]["maxConcurrent"]
        answer = await self.client.send("POST", "/skills", "skill create", json={"skills": [item]})
        results = rows(answer, "skillsResults", "skill create")
        result = results[0] if results else {}
        failed = count(answer.get("errorCount")) if isinstance(answer, dict) else None
        if not result.get("success", not failed):  # 200 with a per-item failure [V:MCP]
            error = str(result.get("error") or "no reason given")
            cls = Conflict if "exist" in error.lower() or "duplicate" in error.lower() else InvalidRequest
            raise cls(
                f"CXone refused to create skill {name!r}: {error}", status=200, code="SKILL_CREATE_FAILED"
            )
        if result.get("skillId") is not None:  # not in the documented schema [U]: used when present
            return str(result["skillId"])
        found = await self._resolve(name)
        if found is None:
            raise OperationFailed(
                f"skill {name!r} was created but is not listed after {self.options.resolve_attempts} lookups",
                hint="plan again in a minute; it shows without ownership, so pass --adopt",
            )
        return str(found["skillId"])

    async def _reread(self, campaign_id: str, revision_seen: int) -> LiveCampaign:
        current = await self.campaign(campaign_id)
        if current.revision != revision_seen:
            raise PreconditionFailed(
                f"skill {campaign_id} ({current.name}) changed in CXone since the plan read it",
                status=412,
                code="CHANGED_SINCE_PLAN",
                hint="the ACD API has no ETag, so apply re-reads before writing; run plan again",
            )
        return current

    async def pace(self, campaign_id: str, knobs: Mapping[str, int], *, revision: int) -> LiveCampaign:
        """Adaptive pacing's write: ``maximumRatio`` only (a PREDICTIVE skill may be paced down to 1).

        Unlike ``update`` it does not hold the ratio to the dialer type: the
        abandon guard steps towards one line per agent, as strict abandon
        pacing does. ``PreconditionFailed`` if the skill changed since read.
        """
        unknown = sorted(set(knobs) - {"maximumRatio"})
        if unknown:
            raise Unsupported(
                campaign_id,
                [Finding(f"adaptivePacing.{k}", "the ACD API paces maximumRatio only") for k in unknown],
            )
        await self._reread(campaign_id, revision)
        return await self._pace(campaign_id, knobs["maximumRatio"])

    async def update(self, campaign_id: str, fields: Sequence[FieldChange], *, revision: int) -> LiveCampaign:
        current = await self._reread(campaign_id, revision)
        return await self._write(campaign_id, current, fields)

    async def delete(self, campaign_id: str, *, revision: int) -> None:
        """Skills cannot be deleted: a stopped skill is deactivated (``isActive`` false)."""
        current = await self._reread(campaign_id, revision)
        if current.active:
            raise Conflict(
                f"skill {campaign_id} is {current.status}: stop it before deactivating it", status=409
            )
        skill = await self._skill(campaign_id)
        body = {k: skill[k] for k in _SKILL_WRITABLE if k in skill}
        await self.client.send(
            "PUT", f"/skills/{campaign_id}", "skill", json={"skill": body | {"isActive": False}}
        )

    def _expect(self, campaign_id: str, running: bool) -> None:
        deadline = self.client.runtime.monotonic() + self.options.transition_timeout
        self._pending[campaign_id] = (running, deadline)

    async def start(self, campaign_id: str) -> None:
        await self.client.send("POST", f"/skills/{campaign_id}/start", "start")
        self._expect(campaign_id, True)

    async def stop(self, campaign_id: str) -> None:
        force = "true" if self.options.force_stop else "false"
        await self.client.send("POST", f"/skills/{campaign_id}/stop", "stop", params={"force": force})
        self._expect(campaign_id, False)

    # figures

    def _period(self) -> dict[str, str]:
        now = datetime.fromtimestamp(self.client.runtime.wall(), UTC)
        return {"startDate": _iso(now - timedelta(days=self.options.stats_days)), "endDate": _iso(now)}

    async def _summary(self, campaign_id: str) -> dict[str, Any]:
        body = await self.client.get(f"/skills/{campaign_id}/summary", "skill summary", self._period())
        found = rows(body, "skillSummaries", "skill summary")
        return found[0] if found else {}

    async def _talk_time(self, campaign_id: str, summary: Mapping[str, Any]) -> float:
        body = await self.client.get(
            "/wfm-data/skills/dialer-contacts", "dialer contacts", {**self._period(), "mediaTypeId": PHONE}
        )
        payload = unwrap(body) or {}
        # the spec names the key wfM_OB_StatsV9; real answers carry outboundStats [V:TAP]
        key = "outboundStats" if "outboundStats" in payload else "wfM_OB_StatsV9"
        intervals = [i for i in rows(payload, key, "dialer contacts") if str(i.get("skillId")) == campaign_id]
        connects = sum(count(i.get("connects")) or 0 for i in intervals)
        if connects:
            return round(
                sum((count(i.get("connects")) or 0) * float(i.get("connectsAHT") or 0) for i in intervals)
                / connects,
                1,
            )
        return _duration(summary.get("averageHandleTime")) or 0.0

    async def statistics(self, campaign_id: str) -> Statistics:
        summary = await self._summary(campaign_id)
        dials = count(summary.get("dials")) or 0
        connects = count(summary.get("connects")) or 0
        abandoned = count(summary.get("abandonCount")) or 0
        talk = await self._talk_time(campaign_id, summary)
        return Statistics(dials, connects, abandoned, talk, round(connects / dials, 4) if dials else 0.0)

    async def realtime(self, campaign_id: str) -> Realtime:
        activity, summary = await aio.pair(
            self.client.get(f"/skills/{campaign_id}/activity", "skill activity"), self._summary(campaign_id)
        )
        active = rows(activity, "skillActivity", "skill activity")
        dials = count(summary.get("dials")) or 0
        connects = count(summary.get("connects")) or 0
        abandoned = count(summary.get("abandonCount")) or 0
        return Realtime(
            answer_rate=round(connects / dials, 4) if dials else 0.0,
            abandon_rate=round(abandoned / connects, 4) if connects else 0.0,
            active_calls=count(active[0].get("contactsActive")) or 0 if active else 0,
            total_calls=dials,
        )

    # references

    async def contact_list(self, list_id: str) -> ContactListInfo | None:
        """A calling list by name (or number). CXone scrubs at dial time, against the skill's DNC groups."""
        entry = await self._calling_list(list_id)
        if entry is None:
            return None
        records = count(entry.get("validRecords"))
        if records is None:
            records = count(entry.get("totalRecords")) or 0
        return ContactListInfo(list_id, str(entry.get("listName")), records, True)

    async def dnc_list(self, list_id: str) -> DncListInfo | None:
        groups = await self._groups()
        return DncListInfo(list_id, list_id) if list_id in groups else None
