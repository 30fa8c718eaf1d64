"""Checks across fields of one campaign that a schema cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.spec.compliance import Finding, check_compliance
from reconciler.spec.models import MANAGED_BY_KEY, Campaign


def check_campaign(campaign: Campaign) -> Iterator[Finding]:
    yield from _labels(campaign)
    yield from _schedule(campaign)
    yield from _adaptive(campaign)
    yield from check_compliance(campaign)


def _labels(campaign: Campaign) -> Iterator[Finding]:
    if MANAGED_BY_KEY in campaign.metadata.labels:
        yield (
            f"metadata.labels.{MANAGED_BY_KEY}",
            "error",
            f"label '{MANAGED_BY_KEY}' is reserved: the reconciler sets it to mark ownership; remove it",
        )


def _schedule(campaign: Campaign) -> Iterator[Finding]:
    schedule = campaign.spec.schedule
    if schedule is None:
        return
    if not _is_zone(schedule.timeZone):
        yield (
            "spec.schedule.timeZone",
            "error",
            f"unknown time zone '{schedule.timeZone}': use an IANA name such as America/New_York",
        )
    for i, window in enumerate(schedule.windows):
        if window.start >= window.end:
            yield (
                f"spec.schedule.windows.{i}.end",
                "error",
                f"window ends ({window.end}) before it starts ({window.start}); "
                "windows cannot cross midnight, split it in two",
            )


def _is_zone(name: str) -> bool:
    if name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _adaptive(campaign: Campaign) -> Iterator[Finding]:
    adaptive = campaign.spec.adaptivePacing
    if adaptive is None:
        return
    low, high = adaptive.minCallsPerMinute, adaptive.maxCallsPerMinute
    if low > high:
        yield (
            "spec.adaptivePacing.minCallsPerMinute",
            "error",
            f"minCallsPerMinute {low} is above maxCallsPerMinute {high}",
        )
        return
    cpm = campaign.spec.pacing.callsPerMinute
    if not low <= cpm <= high:
        yield (
            "spec.pacing.callsPerMinute",
            "error",
            f"callsPerMinute {cpm} is outside the adaptive range [{low}, {high}]; "
            "start inside the range the pacer keeps",
        )
    for i, rule in enumerate(adaptive.rules):
        value = rule.set.callsPerMinute
        if value is not None and not low <= value <= high:
            yield (
                f"spec.adaptivePacing.rules.{i}.set.callsPerMinute",
                "error",
                f"rule sets callsPerMinute {value}, outside [{low}, {high}]",
            )
