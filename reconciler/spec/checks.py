"""Checks across fields of one campaign that a schema cannot express.

They read :class:`~reconciler.spec.parts.Parts`, so that they also run on
the valid parts of a document that has structural errors elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.spec.compliance import Finding, check_compliance
from reconciler.spec.models import MANAGED_BY_KEY, Campaign
from reconciler.spec.parts import Parts


def check_campaign(campaign: Campaign) -> Iterator[Finding]:
    yield from check_parts(Parts.of(campaign))


def check_parts(parts: Parts) -> Iterator[Finding]:
    yield from _labels(parts)
    yield from _schedule(parts)
    yield from _adaptive(parts)
    yield from check_compliance(parts)


def _labels(parts: Parts) -> Iterator[Finding]:
    if MANAGED_BY_KEY in parts.labels:
        yield (
            f"metadata.labels.{MANAGED_BY_KEY}",
            "error",
            f"label '{MANAGED_BY_KEY}' is reserved: the reconciler sets it to mark ownership; remove it",
        )


def _schedule(parts: Parts) -> Iterator[Finding]:
    if parts.zone is not None and not _is_zone(parts.zone):
        yield (
            "spec.schedule.timeZone",
            "error",
            f"unknown time zone '{parts.zone}': use an IANA name such as America/New_York",
        )
    for i, window in parts.windows:
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


def _adaptive(parts: Parts) -> Iterator[Finding]:
    adaptive = parts.adaptive
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
    if parts.pacing is not None and not low <= parts.pacing.callsPerMinute <= high:
        yield (
            "spec.pacing.callsPerMinute",
            "error",
            f"callsPerMinute {parts.pacing.callsPerMinute} is outside the adaptive range [{low}, {high}]; "
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
