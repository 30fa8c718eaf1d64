"""What one skill looks like to the reconciler: the ACD documents read, as a normal-form definition.

Pure: ``SkillDocs`` holds what the tenant read (skill, parameters, tags,
DNC groups); ``definition`` and ``revision`` derive the spec's normal form
and a stable content hash of it all (the API has no ETag, so the hash is
the concurrency token apply checks before writing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.providers.acd.mapping import dialer_type, labels_of, normal_acd, schedule_of

__all__ = ["VOLATILE", "SkillDocs", "definition", "revision", "time_zones"]

VOLATILE = frozenset({"isRunning", "lastPollTime", "lastUpdateTime", "serverTime"})
"""Skill fields that change without anyone changing the skill: never part of the revision."""


@dataclass(frozen=True)
class SkillDocs:
    """Everything read about one skill."""

    skill: Mapping[str, Any]
    parameters: Mapping[str, Any]
    tags: Sequence[str] = ()
    dnc_groups: Sequence[str] = ()
    """Names of the DNC groups the skill is scrubbed against."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def skill_id(self) -> str:
        return str(self.skill.get("skillId"))

    @property
    def running(self) -> bool:
        return bool(self.skill.get("isRunning"))


def time_zones(settings: Any) -> list[dict[str, Any]] | None:
    """``timeZoneSettings`` in either key dialect (``standardName`` or ``name``), sorted; None if unset."""
    if not isinstance(settings, list) or not settings:
        return None
    zones = [
        {
            "standardName": str(z.get("standardName") or z.get("name") or ""),
            "startTime": z.get("startTime"),
            "endTime": z.get("endTime"),
        }
        for z in settings
        if isinstance(z, Mapping)
    ]
    return sorted(zones, key=lambda z: z["standardName"])


def _calling_list(parameters: Mapping[str, Any]) -> str | None:
    lists = [c for c in parameters.get("callingLists") or [] if isinstance(c, Mapping)]
    if not lists:
        return None
    # Several lists uploaded over time: the last one listed is taken as the current one [I].
    last = lists[-1]
    return str(last.get("name") or last.get("listName") or last.get("id"))


def definition(
    docs: SkillDocs,
    *,
    tenant_dnc_group: str | None,
    schedule_zone: str | None,
    preview: Mapping[str, object],
) -> dict[str, Any]:
    """The skill in the normal form of ``spec.Campaign.definition()``, plus its ``acd`` block."""
    skill, params = docs.skill, docs.parameters
    general = params.get("generalSettings") or {}
    retry = params.get("retrySettings") or {}
    prefs = params.get("deliveryPreferences") or {}
    kind = dialer_type(skill, general, prefs, preview)
    groups = sorted(set(docs.dnc_groups))
    enforce_local = None if tenant_dnc_group is None else tenant_dnc_group in groups
    listed = [g for g in groups if g != tenant_dnc_group]
    acd = normal_acd(
        {
            "maximumRatio": general.get("maximumRatio"),
            "maxConcurrentCallsPerAgent": general.get("maxConcurrentCallsPerAgent"),
            "abandonRateThreshold": general.get("abandonRateThreshold")
            if general.get("overrideBusinessUnitAbandonRate")
            else None,
            "maximumRingingDuration": general.get("maximumRingingDuration"),
            "maximumAttempts": retry.get("maximumAttempts", general.get("maximumAttempts")),
            "minimumRetryMinutes": retry.get("minimumRetryMinutes", general.get("minimumRetryMinutes")),
            "campaign": skill.get("campaignName"),
            "timeZones": time_zones(params.get("timeZoneSettings")),
            "scriptId": skill.get("scriptId") or None,
            "callSuppressionScriptId": skill.get("callSuppressionScriptId") or None,
        }
    )
    return {
        "name": str(skill.get("skillName", "")),
        "description": str(skill.get("notes") or ""),
        "dialerType": kind,
        "pacing": {
            "callsPerMinute": None,
            "maxConcurrent": skill.get("agentlessPorts") if kind == "AGENTLESS" else None,
        },
        "contactListId": _calling_list(params),
        "dnc": {"enforceNational": False, "enforceLocal": enforce_local, "listIds": listed},
        "schedule": schedule_of(params.get("scheduleSettings") or {}, schedule_zone),
        "labels": labels_of(list(docs.tags)),
        "acd": acd,
    }


def revision(docs: SkillDocs) -> int:
    """A stable hash of everything read about the skill except its running state (52 bits)."""
    params = dict(docs.parameters)
    params["callingLists"] = [
        str(c.get("name") or c.get("id")) for c in params.get("callingLists") or [] if isinstance(c, Mapping)
    ]
    content = {
        "skill": {k: v for k, v in docs.skill.items() if k not in VOLATILE},
        "parameters": params,
        "tags": sorted(docs.tags),
        "dnc": sorted(docs.dnc_groups),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 12
