"""The spec's normal form <-> CXone ACD skills: cxone-acd.md section 8 as code (pure).

``MAPPING`` lists every row of the table; ``check`` finds what a definition
asks that the ACD API cannot honour (the "N" rows and the guarded [I]/[U]
items), naming the field and what to write instead; the other functions
translate one way or the other. No I/O here: the tenant feeds them what it read.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.tenant import FieldChange

__all__ = [
    "ACD_RANGES",
    "DAYS",
    "MAPPING",
    "MAX_NAME",
    "OWNERSHIP_TAG",
    "Finding",
    "MappingRow",
    "apply_changes",
    "canonical_windows",
    "check",
    "days_of",
    "dialer_type",
    "iana_zone",
    "label_tags",
    "labels_of",
    "normal_acd",
    "schedule_body",
    "schedule_of",
    "tag_name",
]

MAX_NAME = 30
"""``skillName`` is at most 30 characters [V:OAS PUT]."""
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_API_DAY = {
    "MON": "monday",
    "TUE": "tuesday",
    "WED": "wednesday",
    "THU": "thursday",
    "FRI": "friday",
    "SAT": "saturday",
    "SUN": "sunday",
}
ACD_RANGES: dict[str, tuple[float, float] | None] = {
    "maximumRatio": (1, 3),
    "maxConcurrentCallsPerAgent": (1, 10),
    "abandonRateThreshold": (0, 99.9),
    "maximumRingingDuration": (1, 60),
    "maximumAttempts": (1, 300),
    "minimumRetryMinutes": (1, 50000),
    "campaign": None,
    "timeZones": None,
    "scriptId": (1, 2**31 - 1),
    "callSuppressionScriptId": (1, 2**31 - 1),
}
"""Every ``spec.acd`` setting, with its range [V:OAS] (None: not a number)."""
OWNERSHIP_TAG = "managed-by=cxone-reconciler"


@dataclass(frozen=True)
class MappingRow:
    """One row of cxone-acd.md section 8."""

    field: str
    target: str
    status: str
    """E exact, P partial, C compiled, N no counterpart."""


MAPPING: tuple[MappingRow, ...] = (
    MappingRow("name", "skillName (POST batch / PUT skill), at most 30 characters", "E"),
    MappingRow("description", "skill.notes", "E"),
    MappingRow("labels", "tags named key=value; ownership is the tag managed-by=cxone-reconciler", "P"),
    MappingRow("dialerType.PROGRESSIVE", "Personal Connection skill, general-settings maximumRatio 1", "C"),
    MappingRow("dialerType.PREDICTIVE", "maximumRatio 2..3, needs business unit allowPredictiveDialing", "C"),
    MappingRow("dialerType.PREVIEW", "delivery-preferences (confirmation required)", "C"),
    MappingRow("dialerType.AGENTLESS", "skill.agentless, agentlessPorts, scriptId (spec.acd.scriptId)", "C"),
    MappingRow("acd.campaign", "skill.campaignId of the reporting campaign, by name", "E"),
    MappingRow("contactListId", "calling list (by name) uploaded to the skill, startSkill false", "P"),
    MappingRow("dnc.listIds", "dnc-groups/{group}/scrubbed-skills/{skill}, groups by name", "E"),
    MappingRow("dnc.enforceLocal", "scrubbed against the tenant DNC group (CXONE_ACD_TENANT_DNC_GROUP)", "P"),
    MappingRow("dnc.enforceNational", "none: spec.acd.callSuppressionScriptId or a pre-scrubbed list", "N"),
    MappingRow("pacing.callsPerMinute", "none: spec.acd.maximumRatio", "N"),
    MappingRow(
        "pacing.maxConcurrent", "agentlessPorts (AGENTLESS only); else acd.maxConcurrentCallsPerAgent", "P"
    ),
    MappingRow("schedule.windows", "schedule-settings, one window per day, all seven days active", "P"),
    MappingRow("schedule.timeZone", "none per skill: must be the business unit's defaultTimeZone", "N"),
    MappingRow("acd.timeZones", "time-zones (contact-local calling hours)", "E"),
    MappingRow("state.running", "POST skills/{id}/start (202), then isRunning", "E"),
    MappingRow("state.stopped", "POST skills/{id}/stop?force=false (202), then isRunning", "E"),
    MappingRow("delete", "PUT skill isActive false (deactivate; no DELETE)", "P"),
    MappingRow("acd.maximumAttempts", "retry-settings.maximumAttempts", "E"),
    MappingRow("acd.minimumRetryMinutes", "retry-settings.minimumRetryMinutes", "E"),
    MappingRow("acd.abandonRateThreshold", "general-settings, overrideBusinessUnitAbandonRate true", "P"),
    MappingRow("acd.maximumRingingDuration", "general-settings.maximumRingingDuration (seconds [I])", "P"),
    MappingRow("acd.maxConcurrentCallsPerAgent", "general-settings.maxConcurrentCallsPerAgent", "E"),
    MappingRow("acd.maximumRatio", "general-settings.maximumRatio", "E"),
    MappingRow("statistics", "skills/{id}/summary and wfm-data/skills/dialer-contacts", "E"),
    MappingRow("realtime", "skills/{id}/activity and skills/{id}/summary", "P"),
)


@dataclass(frozen=True, order=True)
class Finding:
    """Something a definition asks that this API cannot do, at a spec field path."""

    path: str
    message: str
    severity: str = "error"


def normal_acd(acd: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every ``spec.acd`` key, None where unset (None means: leave the tenant's value as it is)."""
    given = dict(acd or {})
    normal = {key: given.get(key) for key in ACD_RANGES}
    zones = normal["timeZones"]
    if zones is not None:
        normal["timeZones"] = sorted(
            (
                {"standardName": z["standardName"], "startTime": z["startTime"], "endTime": z["endTime"]}
                for z in zones
            ),
            key=lambda z: str(z["standardName"]),
        )
    return normal


def tag_name(key: str, value: str) -> str:
    return f"{key}={value}"


def label_tags(labels: Mapping[str, str]) -> set[str]:
    return {tag_name(k, v) for k, v in labels.items()}


def labels_of(tags: Sequence[str]) -> dict[str, str]:
    """Labels from tag names; tags without '=' are not labels and are left alone."""
    labels: dict[str, str] = {}
    for name in sorted(tags):
        key, sep, value = name.partition("=")
        if sep and key:
            labels[key] = value
    return labels


def dialer_type(
    skill: Mapping[str, Any],
    general: Mapping[str, Any],
    prefs: Mapping[str, Any],
    preview: Mapping[str, object],
) -> str:
    """The dialer type a skill's settings amount to [I]: agentless, preview, ratio above 1, or progressive."""
    if skill.get("agentless"):
        return "AGENTLESS"
    if preview and all(prefs.get(k) == v for k, v in preview.items()):
        return "PREVIEW"
    ratio = general.get("maximumRatio")
    if isinstance(ratio, int | float) and ratio > 1:
        return "PREDICTIVE"
    return "PROGRESSIVE"


def days_of(windows: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """Day -> (start, end); the caller has checked there is at most one window a day."""
    days: dict[str, tuple[str, str]] = {}
    for window in windows:
        for day in window["days"]:
            days[str(day)] = (str(window["start"]), str(window["end"]))
    return days


def canonical_windows(days: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The one way to write a week: days with the same hours together, in week order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for day in DAYS:
        if day in days:
            groups.setdefault(days[day], []).append(day)
    ordered = sorted(groups.items(), key=lambda item: DAYS.index(item[1][0]))
    return [{"days": list(group), "start": hours[0], "end": hours[1]} for hours, group in ordered]


def schedule_body(schedule: Mapping[str, Any] | None) -> dict[str, Any]:
    """The flat ``scheduleSettings`` of a (checked) spec schedule."""
    if schedule is None:
        return {"isScheduled": False}
    days = days_of(schedule["windows"])
    body: dict[str, Any] = {"isScheduled": True}
    for day in DAYS:
        start, end = days.get(day, ("00:00", "00:00"))
        api = _API_DAY[day]
        body |= {f"{api}StartTime": start, f"{api}EndTime": end, f"{api}IsActive": day in days}
    return body


def schedule_of(settings: Mapping[str, Any], time_zone: str | None) -> dict[str, Any] | None:
    """A spec schedule from either shape: flat (block GET) or ``schedules[]`` (/parameters)."""
    if not settings.get("isScheduled"):
        return None
    days: dict[str, tuple[str, str]] = {}
    listed = settings.get("schedules")
    if isinstance(listed, list):
        by_name = {v: k for k, v in _API_DAY.items()}
        for entry in listed:
            day = by_name.get(str(entry.get("day", "")).lower())
            if day and entry.get("active"):
                days[day] = (_hhmm(entry.get("startTime")), _hhmm(entry.get("endTime")))
    else:
        for day, api in _API_DAY.items():
            if settings.get(f"{api}IsActive"):
                days[day] = (_hhmm(settings.get(f"{api}StartTime")), _hhmm(settings.get(f"{api}EndTime")))
    return {"timeZone": time_zone, "windows": canonical_windows(days)}


def _hhmm(value: Any) -> str:
    """'09:00', '09:00:00' or '9:00' as 'HH:MM'."""
    text = str(value or "00:00")
    hours, _, rest = text.partition(":")
    return f"{int(hours or 0):02d}:{(rest or '00')[:2]}"


def apply_changes(definition: Mapping[str, Any], fields: Sequence[FieldChange]) -> dict[str, Any]:
    """The definition with these field changes made (dotted paths as ``engine.diff.flatten`` writes them)."""
    result = copy.deepcopy(dict(definition))
    for change in fields:
        if change.top == "labels":
            _, key = change.path.split(".", 1)
            labels = dict(result.get("labels") or {})
            if change.after is None:
                labels.pop(key, None)
            else:
                labels[key] = change.after
            result["labels"] = labels
            continue
        *parents, leaf = change.path.split(".")
        node = result
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[leaf] = copy.deepcopy(change.after)
    return result


def _in_range(value: Any, bounds: tuple[float, float]) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def _check_acd(acd: Mapping[str, Any]) -> list[Finding]:
    found = []
    for key, value in acd.items():
        if key not in ACD_RANGES:
            known = ", ".join(ACD_RANGES)
            found.append(Finding(f"acd.{key}", f"unknown ACD setting; the known ones are {known}"))
            continue
        bounds = ACD_RANGES[key]
        if value is None or bounds is None:
            continue
        if key in ("abandonRateThreshold",):
            ok = _in_range(value, bounds)
        else:
            ok = _in_range(value, bounds) and float(value).is_integer()
        if not ok:
            low, high = bounds
            found.append(
                Finding(
                    f"acd.{key}",
                    f"must be {'a number' if key == 'abandonRateThreshold' else 'a whole number'} "
                    f"from {low:g} to {high:g}, got {value!r}",
                )
            )
    if acd.get("campaign") is not None and not (isinstance(acd["campaign"], str) and acd["campaign"].strip()):
        found.append(Finding("acd.campaign", "must be the reporting campaign's name"))
    zones = acd.get("timeZones")
    if zones is not None:
        if not isinstance(zones, list | tuple):
            found.append(Finding("acd.timeZones", "must be a list of {standardName, startTime, endTime}"))
        else:
            for i, zone in enumerate(zones):
                if not isinstance(zone, Mapping) or not {"standardName", "startTime", "endTime"} <= set(zone):
                    found.append(Finding(f"acd.timeZones.{i}", "needs standardName, startTime and endTime"))
    return found


def _check_schedule(schedule: Mapping[str, Any], zone: str | None) -> list[Finding]:
    found = []
    if zone is not None and schedule.get("timeZone") != zone:
        found.append(
            Finding(
                "schedule.timeZone",
                f"an ACD skill has no time zone of its own: its schedule runs in the business unit's "
                f"({zone}); write schedule.timeZone: {zone} and convert the windows, or remove the schedule",
            )
        )
    seen: dict[str, int] = {}
    for i, window in enumerate(schedule.get("windows") or []):
        if str(window["start"]) >= str(window["end"]):
            found.append(
                Finding(
                    f"schedule.windows.{i}",
                    "the ACD API rejects an empty or overnight window: end must be later than start",
                )
            )
        for day in window["days"]:
            if str(day) in seen:
                found.append(
                    Finding(
                        f"schedule.windows.{i}",
                        f"{day} has a second window: an ACD skill has one window a day; merge them into one",
                    )
                )
            seen[str(day)] = i
    missing = [d for d in DAYS if d not in seen]
    if missing:
        found.append(
            Finding(
                "schedule.windows",
                f"the ACD API rejects a week with an inactive day, and {', '.join(missing)} "
                "have no window: give every day a window, or remove the schedule and control calling "
                "with state: running / stopped",
            )
        )
    if not found:
        canonical = canonical_windows(days_of(schedule["windows"]))
        written = [
            {"days": [str(d) for d in w["days"]], "start": w["start"], "end": w["end"]}
            for w in schedule["windows"]
        ]
        if written != canonical:
            shown = "; ".join(f"{'/'.join(w['days'])} {w['start']}-{w['end']}" for w in canonical)
            found.append(
                Finding(
                    "schedule.windows",
                    f"CXone keeps one window per day, so this reads back grouped as: {shown}; "
                    "write the windows that way or every plan shows a change",
                )
            )
    return found


def check(
    definition: Mapping[str, Any],
    acd: Mapping[str, Any] | None = None,
    *,
    tenant_dnc_group: str | None = None,
    business_unit_zone: str | None = None,
    allow_predictive: bool | None = None,
) -> list[Finding]:
    """What this definition (and its ``spec.acd``) asks that the ACD API cannot honour.

    The tenant facts (``business_unit_zone``, ``allow_predictive``) are checked
    when given; ``tenant_dnc_group`` is the operator's answer to an unknown.
    """
    settings = dict(acd or {})
    found = _check_acd(settings)
    name = str(definition.get("name", ""))
    if len(name) > MAX_NAME:
        found.append(
            Finding(
                "metadata.name",
                f"CXone skill names are at most {MAX_NAME} characters and this one has {len(name)}: "
                f"shorten it, e.g. {name[:MAX_NAME]!r}",
            )
        )
    dialer = definition.get("dialerType")
    pacing = definition.get("pacing") or {}
    if pacing.get("callsPerMinute") is not None:
        found.append(
            Finding(
                "pacing.callsPerMinute",
                "the ACD API has no calls-per-minute setting: remove it and set spec.acd.maximumRatio "
                "(1..3 lines per agent) instead",
            )
        )
    ports = pacing.get("maxConcurrent")
    if ports is not None:
        if dialer != "AGENTLESS":
            found.append(
                Finding(
                    "pacing.maxConcurrent",
                    "an agent skill has no per-campaign call limit: remove it and set "
                    "spec.acd.maxConcurrentCallsPerAgent (1..10) instead",
                )
            )
        elif not _in_range(ports, (1, 10)):
            found.append(
                Finding(
                    "pacing.maxConcurrent",
                    f"an agentless skill has 1 to 10 ports (agentlessPorts), got {ports}: "
                    "write a value from 1 to 10",
                )
            )
    ratio = settings.get("maximumRatio")
    if dialer == "PROGRESSIVE" and ratio not in (None, 1):
        found.append(
            Finding(
                "acd.maximumRatio",
                f"PROGRESSIVE dials one line per agent (maximumRatio 1), got {ratio}: "
                "remove acd.maximumRatio or write dialerType: PREDICTIVE",
            )
        )
    if dialer == "PREDICTIVE":
        if ratio == 1:
            found.append(
                Finding(
                    "acd.maximumRatio",
                    "PREDICTIVE needs maximumRatio 2 or 3: write 2 or 3, or dialerType: PROGRESSIVE",
                )
            )
        if allow_predictive is False:
            found.append(
                Finding(
                    "dialerType",
                    "the business unit does not allow predictive dialing (allowPredictiveDialing false): "
                    "write dialerType: PROGRESSIVE, or ask NICE to enable predictive dialing",
                )
            )
    if dialer == "AGENTLESS" and settings.get("scriptId") is None:
        found.append(
            Finding(
                "acd.scriptId",
                "an AGENTLESS skill runs a Studio script: set spec.acd.scriptId to its id",
            )
        )
    dnc = definition.get("dnc") or {}
    if dnc.get("enforceNational"):
        found.append(
            Finding(
                "dnc.enforceNational",
                "the ACD API has no national DNC switch: write enforceNational: false and set "
                "spec.acd.callSuppressionScriptId to your call-suppression script, or pre-scrub the list",
            )
        )
    if tenant_dnc_group is None:
        found.append(
            Finding(
                "dnc.enforceLocal",
                "which DNC group is the tenant's cannot be told through the API: set "
                "CXONE_ACD_TENANT_DNC_GROUP to its name",
            )
        )
    elif tenant_dnc_group in (dnc.get("listIds") or ()):
        found.append(
            Finding(
                "dnc.listIds",
                f"{tenant_dnc_group} is the tenant DNC group: remove it from listIds and write "
                "dnc.enforceLocal: true instead",
            )
        )
    schedule = definition.get("schedule")
    if schedule is not None:
        found.extend(_check_schedule(schedule, business_unit_zone))
    return sorted(set(found))


def iana_zone(name: str | None) -> str | None:
    """The zone if it is an IANA name this machine knows, else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
