"""A campaign's status and figures, derived from its record and the clock (pure: no I/O).

A record says what was last asked of a campaign (start or stop, and when)
and the figures banked before its current run; the status, the calls placed,
answered and abandoned, and the realtime and statistics figures follow from
that, the clock, the lifecycle's durations and the simulated dialer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.dialer import DialerModel, Figures
from reconciler.emulator.records import Row

ACTIVE = frozenset({"QUEUED", "INITIALIZING", "RUNNING"})
RESTING = frozenset({"STOPPED", "ERROR", "COMPLETED"})
"""Statuses a campaign can be started (and deleted) from."""


@dataclass(frozen=True)
class Lifecycle:
    """How long each transition takes, in seconds."""

    queued: float = 0.5
    initializing: float = 1.0
    stopping: float = 0.5


def _count(value: float) -> int:
    """Calls placed as the API shows them: whole calls, floored (so they never go down), float noise aside."""
    return int(value + 1e-9)


@dataclass(frozen=True)
class Simulation:
    """The lifecycle's durations and the dialer: what a record means at a given time."""

    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    dialer: DialerModel = field(default_factory=DialerModel)

    def running_since(self, row: Row) -> float | None:
        if row.op != "start" or row.op_at is None or row.failure:
            return None
        return row.op_at + self.lifecycle.queued + self.lifecycle.initializing

    def figures(self, row: Row, now: float, records: int) -> Figures:
        """Calls placed, answered and abandoned since creation, up to ``now``: they never go down."""
        since = self.running_since(row)
        if since is None or now <= since:
            return row.banked
        begin = max(since, row.segment_at or since)
        pacing = row.definition["pacing"]
        current = self.dialer.segment(
            row.name,
            pacing["callsPerMinute"],
            pacing["maxConcurrent"],
            begin=(begin - since) * self.dialer.speed,
            seconds=max(0.0, now - begin) * self.dialer.speed,
            remaining=max(0.0, records - row.dialled),
        )
        return row.banked + current

    def placed(self, row: Row, now: float, records: int) -> float:
        """Calls placed since creation, up to ``now``: ``figures(...).placed`` without the rates."""
        since = self.running_since(row)
        if since is None or now <= since:
            return row.banked.placed
        begin = max(since, row.segment_at or since)
        return row.banked.placed + self.dialer.placed(
            row.definition["pacing"]["callsPerMinute"],
            seconds=max(0.0, now - begin) * self.dialer.speed,
            remaining=max(0.0, records - row.dialled),
        )

    def status(self, row: Row, now: float, records: int) -> str:
        """``records``: the size of the campaign's contact list (dialled out: COMPLETED)."""
        if row.op == "none" or row.op_at is None:
            return "STOPPED"
        elapsed = now - row.op_at
        life = self.lifecycle
        if row.op == "stop":
            return "STOPPING" if elapsed < life.stopping else "STOPPED"
        if elapsed < life.queued:
            return "QUEUED"
        if elapsed < life.queued + life.initializing:
            return "INITIALIZING"
        if row.failure:
            return "ERROR"
        if self.placed(row, now, records) + 1e-9 >= records:
            return "COMPLETED"
        return "RUNNING"

    def realtime(self, row: Row, now: float, records: int) -> dict[str, Any]:
        if self.status(row, now, records) != "RUNNING":
            return {"answerRate": 0.0, "abandonRate": 0.0, "activeCalls": 0, "totalCalls": 0}
        pacing = row.definition["pacing"]
        cpm, concurrent = pacing["callsPerMinute"], pacing["maxConcurrent"]
        since = self.running_since(row) or now
        answer = self.dialer.answer_rate(row.name, (now - since) * self.dialer.speed)
        placed = _count(self.placed(row, now, records))  # the count alone: no minute-by-minute walk
        return {
            "answerRate": answer,
            "abandonRate": self.dialer.abandon_rate(row.name, cpm, concurrent, answer),
            "activeCalls": min(placed, self.dialer.active_calls(cpm, concurrent, answer)),
            "totalCalls": placed,
        }

    def statistics(self, row: Row, now: float, records: int) -> dict[str, Any]:
        figures = self.figures(row, now, records)
        total = _count(figures.placed)
        answered = min(total, round(figures.answered))  # round and min keep counters from going down
        return {
            "totalCalls": total,
            "answered": answered,
            "abandoned": min(answered, round(figures.abandoned)),
            "avgTalkTime": self.dialer.talk_time(row.name) if answered else 0.0,
            "connectRate": round(answered / total, 4) if total else 0.0,
        }
