"""Adaptive pacing: decide (pure) what a running campaign's pacing should be.

Rules are evaluated first match wins, and results are clamped to
[minCallsPerMinute, maxCallsPerMinute]. Above ``maxAbandonRate`` pacing never
rises and steps down by ``GUARD_STEP`` (at least one call per minute) every
round until the abandon rate is back under the cap. Against flapping, a
cooldown: after any change to the campaign (its ``updatedAt``), rules may
not change pacing again for ``cooldown``; the guard may always step down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reconciler.escape import visible
from reconciler.spec.models import AdaptivePacing, Comparison, Condition
from reconciler.tenant import Realtime

GUARD_STEP = 0.25
"""Fraction of callsPerMinute shed per round while the abandon rate is over its cap."""
RATIO_RANGE = (1, 3)
"""Provider cxone-acd paces ``maximumRatio``, dial lines per agent: 1 is progressive (no abandons)."""
KNOB_PATHS = {
    "callsPerMinute": "pacing.callsPerMinute",
    "maxConcurrent": "pacing.maxConcurrent",
    "maximumRatio": "acd.maximumRatio",
}
"""Each pacing knob and the definition field it is."""

_OPERATORS = (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">="))


@dataclass(frozen=True)
class Decision:
    pacing: dict[str, int]
    reason: str

    def changes(self, current: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in self.pacing.items() if current.get(k) != v}


_FIGURES = {
    "answerRate": "answer_rate",
    "abandonRate": "abandon_rate",
    "activeCalls": "active_calls",
    "totalCalls": "total_calls",
}
"""The spec's condition keys (the API's names) and the figures they read."""


def _figure(stats: Realtime, key: str) -> float:
    value: float = getattr(stats, _FIGURES[key])
    return value


def _describe(condition: Condition, stats: Realtime) -> str:
    parts = []
    for key in ("answerRate", "abandonRate", "activeCalls", "totalCalls"):
        comparison: Comparison | None = getattr(condition, key)
        if comparison is None:
            continue
        for op, symbol in _OPERATORS:
            bound = getattr(comparison, op)
            if bound is not None:
                parts.append(f"{key} {_figure(stats, key):.3g} {symbol} {bound:g}")
    return " and ".join(parts)


def matches(condition: Condition, stats: Realtime) -> bool:
    return all(
        comparison.holds(_figure(stats, key))
        for key in ("answerRate", "abandonRate", "activeCalls", "totalCalls")
        if (comparison := getattr(condition, key)) is not None
    )


def decide(
    rules: AdaptivePacing,
    stats: Realtime,
    current: dict[str, int],
    *,
    now: float,
    last_change_at: float | None,
) -> Decision:
    """The pacing a campaign should have now, and why.

    ``current`` holds ``callsPerMinute`` and ``maxConcurrent`` (provider
    cxone-campaigns), or ``maximumRatio`` (provider cxone-acd).
    """
    if "maximumRatio" in current:
        return _decide_ratio(rules, stats, current, now=now, last_change_at=last_change_at)
    low, high = rules.minCallsPerMinute, rules.maxCallsPerMinute
    if low is None or high is None:
        raise ValueError(
            "adaptivePacing needs minCallsPerMinute and maxCallsPerMinute to pace calls per minute"
        )
    cpm = current["callsPerMinute"]
    if stats.abandon_rate > rules.maxAbandonRate:
        target = max(low, min(cpm - 1, math.floor(cpm * (1 - GUARD_STEP)))) if cpm > low else cpm
        rule = next((r for r in rules.rules if matches(r.when, stats)), None)
        if rule is not None and rule.set.callsPerMinute is not None:
            target = min(target, max(low, rule.set.callsPerMinute))
        reason = f"abandon rate {stats.abandon_rate:.1%} is above the {rules.maxAbandonRate:.1%} cap: " + (
            f"stepping down to {target}" if target < cpm else "not rising"
        )
        return Decision({**current, "callsPerMinute": target}, reason)
    for index, rule in enumerate(rules.rules, start=1):
        if not matches(rule.when, stats):
            continue
        wanted = dict(current)
        if rule.set.callsPerMinute is not None:
            wanted["callsPerMinute"] = rule.set.callsPerMinute
        if rule.set.maxConcurrent is not None:
            wanted["maxConcurrent"] = rule.set.maxConcurrent
        wanted["callsPerMinute"] = min(high, max(low, wanted["callsPerMinute"]))
        why = f"rule {index}: {_describe(rule.when, stats)}"
        return _ruled(rules, current, wanted, why, now=now, last_change_at=last_change_at)
    if not low <= cpm <= high:
        clamped = min(high, max(low, cpm))
        return Decision({**current, "callsPerMinute": clamped}, f"outside [{low}, {high}]: clamped")
    return Decision(current, "no rule matched")


def _ruled(
    rules: AdaptivePacing,
    current: dict[str, int],
    wanted: dict[str, int],
    why: str,
    *,
    now: float,
    last_change_at: float | None,
) -> Decision:
    """What a matching rule comes to: already there, held by the cooldown, or the change."""
    if wanted == current:
        return Decision(current, f"{why}; already there")
    if rules.cooldown > 0 and last_change_at is not None and now - last_change_at < rules.cooldown:
        waited = now - last_change_at
        return Decision(current, f"{why}; holding: changed {waited:.0f} s ago, cooldown {rules.cooldown:g} s")
    return Decision(wanted, why)


def _decide_ratio(
    rules: AdaptivePacing,
    stats: Realtime,
    current: dict[str, int],
    *,
    now: float,
    last_change_at: float | None,
) -> Decision:
    """``maximumRatio`` (1..3): the guard steps one line per agent down per round, towards progressive."""
    low, high = RATIO_RANGE
    ratio = current["maximumRatio"]
    if stats.abandon_rate > rules.maxAbandonRate:
        target = max(low, ratio - 1)
        rule = next((r for r in rules.rules if matches(r.when, stats)), None)
        if rule is not None and rule.set.maximumRatio is not None:
            target = min(target, max(low, rule.set.maximumRatio))
        reason = f"abandon rate {stats.abandon_rate:.1%} is above the {rules.maxAbandonRate:.1%} cap: " + (
            f"stepping down to maximumRatio {target}" if target < ratio else "at 1 line per agent, not rising"
        )
        return Decision({**current, "maximumRatio": target}, reason)
    for index, rule in enumerate(rules.rules, start=1):
        if not matches(rule.when, stats):
            continue
        wanted = dict(current)
        if rule.set.maximumRatio is not None:
            wanted["maximumRatio"] = min(high, max(low, rule.set.maximumRatio))
        why = f"rule {index}: {_describe(rule.when, stats)}"
        return _ruled(rules, current, wanted, why, now=now, last_change_at=last_change_at)
    if not low <= ratio <= high:
        return Decision(
            {**current, "maximumRatio": min(high, max(low, ratio))}, f"outside [{low}, {high}]: clamped"
        )
    return Decision(current, "no rule matched")


@dataclass(frozen=True)
class PaceResult:
    """What one pace round did to one campaign: the decision, and whether it was applied.

    ``error`` says why the campaign could not be paced (its figures could not be
    read, or the PATCH failed); ``pace`` exits 1 when any result has one.
    """

    name: str
    campaign_id: str
    before: dict[str, int]
    after: dict[str, int]
    reason: str
    applied: bool
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_json(self) -> dict[str, Any]:
        """The decision as product.md section 3 shows it, plus ``error`` when one happened."""
        data: dict[str, Any] = {
            "name": self.name,
            "campaignId": self.campaign_id,
            "from": self.before,
            "to": self.after,
            "reason": self.reason,
            "applied": self.applied,
        }
        if self.error is not None:
            data["error"] = self.error
        return data

    def describe(self) -> str:
        """One line, as `pace` prints it (tenant text escaped for a terminal)."""
        before, after = self.before, self.after
        if "maximumRatio" in before:
            move = (
                f"maximumRatio {before['maximumRatio']} -> {after['maximumRatio']}"
                if before != after
                else f"maximumRatio {before['maximumRatio']}"
            )
            return self._line(move)
        move = (
            f"{before['callsPerMinute']} -> {after['callsPerMinute']} calls/min"
            if before["callsPerMinute"] != after["callsPerMinute"]
            else f"{before['callsPerMinute']} calls/min"
        )
        if before["maxConcurrent"] != after["maxConcurrent"]:
            move += f", maxConcurrent {before['maxConcurrent']} -> {after['maxConcurrent']}"
        return self._line(move)

    def _line(self, move: str) -> str:
        before, after = self.before, self.after
        if self.failed:
            state = "failed"
        else:
            state = "applied" if self.applied else "unchanged" if before == after else "not applied"
        return f"{visible(self.name)}: {move} [{state}]: {visible(self.reason)}"


@dataclass(frozen=True)
class Skipped:
    """A `pace --watch` round that decided nothing for a campaign, and why."""

    name: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "skipped": self.reason}

    def describe(self) -> str:
        return f"{visible(self.name)}: skipped: {visible(self.reason)}"
