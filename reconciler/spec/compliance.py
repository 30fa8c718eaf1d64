"""Compliance rules: the FCC/TCPA abandon-rate cap and TCPA calling hours.

Each rule is an error unless the spec opts out with a written reason under
``spec.complianceOptOuts``; an opted-out rule is reported as a warning so
that reviewers see it in every validate and plan.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.spec.diagnostics import Severity
from reconciler.spec.parts import Parts

LEGAL_ABANDON_CAP = 0.03
EARLIEST_CALL = "08:00"
LATEST_CALL = "21:00"

Finding = tuple[str, Severity, str]


def _finding(parts: Parts, rule: str, field: str, problem: str, how: str) -> Iterator[Finding]:
    if rule in parts.unknown_opt_outs:
        return  # the opt-out is written but invalid, and reported as such: waived or not is unknown
    opt_out = parts.opt_outs.get(rule)
    if opt_out is not None:
        yield field, "warning", f"{problem}; opted out: {opt_out.reason}"
    else:
        yield field, "error", f"{problem}; {how}"


def check_compliance(parts: Parts) -> Iterator[Finding]:
    adaptive = parts.adaptive
    if adaptive is not None and adaptive.maxAbandonRate > LEGAL_ABANDON_CAP:
        yield from _finding(
            parts,
            "maxAbandonRate",
            "spec.adaptivePacing.maxAbandonRate",
            f"maxAbandonRate {adaptive.maxAbandonRate:g} is above the FCC/TCPA cap of 0.03 "
            "(3 % of live-answered calls)",
            "lower it, or opt out with spec.complianceOptOuts.maxAbandonRate.reason",
        )
    zone = f"in {parts.zone}" if parts.zone else "local time"
    for i, window in parts.windows:
        for edge, value in (("start", window.start), ("end", window.end)):
            early = edge == "start" and value < EARLIEST_CALL
            late = edge == "end" and value > LATEST_CALL
            if not (early or late):
                continue
            limit = f"not before {EARLIEST_CALL}" if early else f"not after {LATEST_CALL}"
            yield from _finding(
                parts,
                "callingHours",
                f"spec.schedule.windows.{i}.{edge}",
                f"calling window {edge} {value} is outside TCPA calling hours "
                f"({EARLIEST_CALL}-{LATEST_CALL} {zone})",
                f"{limit}, or opt out with spec.complianceOptOuts.callingHours.reason",
            )
