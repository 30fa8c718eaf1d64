"""Checks across fields of one campaign that a schema cannot express.

They read :class:`~reconciler.spec.parts.Parts`, so that they also run on
the valid parts of a document that has structural errors elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.spec.compliance import Finding, check_compliance
from reconciler.spec.models import MANAGED_BY_KEY, PROVIDER_ACD, PROVIDER_CAMPAIGNS, Campaign
from reconciler.spec.parts import Parts

__all__ = ["check_campaign", "check_parts"]


def check_campaign(campaign: Campaign, provider: str = PROVIDER_CAMPAIGNS) -> Iterator[Finding]:
    yield from check_parts(Parts.of(campaign), provider)


def check_parts(parts: Parts, provider: str = PROVIDER_CAMPAIGNS) -> Iterator[Finding]:
    """Every cross-field check; ``provider`` is the target's API (what the spec must and must not say)."""
    yield from _labels(parts)
    yield from _schedule(parts)
    yield from _provider(parts, provider)
    yield from _adaptive(parts)
    yield from check_compliance(parts)


def _provider(parts: Parts, provider: str) -> Iterator[Finding]:
    """What one provider needs that the other does without (the schema allows both)."""
    adaptive = parts.adaptive
    if provider == PROVIDER_ACD:
        if adaptive is not None and parts.dialer not in (None, "PREDICTIVE"):
            yield (
                "spec.adaptivePacing",
                "error",
                f"with provider {PROVIDER_ACD} adaptive pacing moves acd.maximumRatio, which only a "
                f"PREDICTIVE skill has ({parts.dialer} dials one line per agent): write dialerType: "
                "PREDICTIVE, or remove adaptivePacing",
            )
        if adaptive is not None:
            for name in ("minCallsPerMinute", "maxCallsPerMinute"):
                if getattr(adaptive, name) is not None:
                    yield (
                        f"spec.adaptivePacing.{name}",
                        "error",
                        f"provider {PROVIDER_ACD} has no calls per minute: remove {name}; "
                        "pacing moves acd.maximumRatio between 1 and 3",
                    )
            for i, rule in enumerate(adaptive.rules):
                for name in ("callsPerMinute", "maxConcurrent"):
                    if getattr(rule.set, name) is not None:
                        yield (
                            f"spec.adaptivePacing.rules.{i}.set.{name}",
                            "error",
                            f"provider {PROVIDER_ACD} cannot set {name}: "
                            "write set: {maximumRatio: 1..3} instead",
                        )
        return
    if parts.has_acd:
        yield (
            "spec.acd",
            "error",
            f"spec.acd holds settings of provider {PROVIDER_ACD}, and this target's provider is "
            f"{provider}: remove spec.acd, or target a tenant with provider: {PROVIDER_ACD}",
        )
    if not parts.has_pacing:
        yield (
            "spec.pacing",
            "error",
            f"missing required field 'pacing' in spec (provider {provider} needs "
            "pacing: {callsPerMinute, maxConcurrent})",
        )
    elif parts.pacing is not None:
        for name in ("callsPerMinute", "maxConcurrent"):
            if getattr(parts.pacing, name) is None:
                yield (
                    f"spec.pacing.{name}",
                    "error",
                    f"missing required field '{name}' in spec.pacing (provider {provider} needs it)",
                )
    if adaptive is not None:
        for name in ("minCallsPerMinute", "maxCallsPerMinute"):
            if getattr(adaptive, name) is None:
                yield (
                    f"spec.adaptivePacing.{name}",
                    "error",
                    f"missing required field '{name}' in spec.adaptivePacing (provider {provider} needs it)",
                )
        for i, rule in enumerate(adaptive.rules):
            if rule.set.maximumRatio is not None:
                yield (
                    f"spec.adaptivePacing.rules.{i}.set.maximumRatio",
                    "error",
                    f"maximumRatio is a setting of provider {PROVIDER_ACD}: set callsPerMinute or "
                    "maxConcurrent instead",
                )


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
    if low is None or high is None:
        return
    if low > high:
        yield (
            "spec.adaptivePacing.minCallsPerMinute",
            "error",
            f"minCallsPerMinute {low} is above maxCallsPerMinute {high}",
        )
        return
    cpm = parts.pacing.callsPerMinute if parts.pacing is not None else None
    if cpm is not None and not low <= cpm <= high:
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
