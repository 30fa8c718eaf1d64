"""Compliance rules: the FCC/TCPA abandon-rate cap and TCPA calling hours.

Each rule is an error unless the spec opts out with a written reason under
``spec.complianceOptOuts``; an opted-out rule is reported as a warning so
that reviewers see it in every validate and plan.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.spec.diagnostics import Severity
from reconciler.spec.models import Campaign, OptOut

LEGAL_ABANDON_CAP = 0.03
EARLIEST_CALL = "08:00"
LATEST_CALL = "21:00"

Finding = tuple[str, Severity, str]


def _finding(field: str, problem: str, opt_out: OptOut | None, how: str) -> Finding:
    if opt_out is not None:
        return field, "warning", f"{problem}; opted out: {opt_out.reason}"
    return field, "error", f"{problem}; {how}"


def check_compliance(campaign: Campaign) -> Iterator[Finding]:
    spec = campaign.spec
    opt = spec.complianceOptOuts
    adaptive = spec.adaptivePacing
    if adaptive is not None and adaptive.maxAbandonRate > LEGAL_ABANDON_CAP:
        yield _finding(
            "spec.adaptivePacing.maxAbandonRate",
            f"maxAbandonRate {adaptive.maxAbandonRate:g} is above the FCC/TCPA cap of 0.03 "
            "(3 % of live-answered calls)",
            opt.maxAbandonRate if opt else None,
            "lower it, or opt out with spec.complianceOptOuts.maxAbandonRate.reason",
        )
    if spec.schedule is None:
        return
    for i, window in enumerate(spec.schedule.windows):
        for edge, value in (("start", window.start), ("end", window.end)):
            early = edge == "start" and value < EARLIEST_CALL
            late = edge == "end" and value > LATEST_CALL
            if not (early or late):
                continue
            limit = f"not before {EARLIEST_CALL}" if early else f"not after {LATEST_CALL}"
            yield _finding(
                f"spec.schedule.windows.{i}.{edge}",
                f"calling window {edge} {value} is outside TCPA calling hours "
                f"({EARLIEST_CALL}-{LATEST_CALL} in {spec.schedule.timeZone})",
                opt.callingHours if opt else None,
                f"{limit}, or opt out with spec.complianceOptOuts.callingHours.reason",
            )
