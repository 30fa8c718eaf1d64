"""Compliance rules: the FCC/TCPA abandon-rate cap and TCPA calling hours.

Each rule is an error unless the spec opts out with a written reason under
``spec.complianceOptOuts``; an opted-out rule is reported as a warning so
that reviewers see it in every validate and plan.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.spec.diagnostics import Severity
from reconciler.spec.models import Campaign

LEGAL_ABANDON_CAP = 0.03
EARLIEST_CALL = "08:00"
LATEST_CALL = "21:00"

Finding = tuple[str, Severity, str]


def check_compliance(campaign: Campaign) -> Iterator[Finding]:
    spec = campaign.spec
    opt = spec.complianceOptOuts
    adaptive = spec.adaptivePacing
    if adaptive is not None and adaptive.maxAbandonRate > LEGAL_ABANDON_CAP:
        field = "spec.adaptivePacing.maxAbandonRate"
        if opt is not None and opt.maxAbandonRate is not None:
            yield (
                field,
                "warning",
                f"maxAbandonRate {adaptive.maxAbandonRate:g} is above the 3 % FCC/TCPA cap; "
                f"opted out: {opt.maxAbandonRate.reason}",
            )
        else:
            yield (
                field,
                "error",
                f"maxAbandonRate {adaptive.maxAbandonRate:g} is above the FCC/TCPA cap of "
                "0.03 (3 % of live-answered calls); lower it, or opt out with "
                "spec.complianceOptOuts.maxAbandonRate.reason",
            )
    if spec.schedule is None:
        return
    for i, window in enumerate(spec.schedule.windows):
        for edge, value in (("start", window.start), ("end", window.end)):
            early = edge == "start" and value < EARLIEST_CALL
            late = edge == "end" and value > LATEST_CALL
            if not (early or late):
                continue
            field = f"spec.schedule.windows.{i}.{edge}"
            limit = f"not before {EARLIEST_CALL}" if early else f"not after {LATEST_CALL}"
            if opt is not None and opt.callingHours is not None:
                yield (
                    field,
                    "warning",
                    f"calling window {edge} {value} is outside TCPA calling hours; "
                    f"opted out: {opt.callingHours.reason}",
                )
            else:
                yield (
                    field,
                    "error",
                    f"calling window {edge} {value} is outside TCPA calling hours "
                    f"({EARLIEST_CALL}-{LATEST_CALL} in {spec.schedule.timeZone}): {limit}, or opt "
                    "out with spec.complianceOptOuts.callingHours.reason",
                )
