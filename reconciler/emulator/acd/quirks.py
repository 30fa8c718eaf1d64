"""The real ACD API's quirks (cxone-acd.md section 9), each one switchable for the emulator.

Defaults behave like the real API as the research describes it; the
request-level faults (throttling, revoked tokens) are off unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["Quirks"]


@dataclass(frozen=True, kw_only=True)
class Quirks:
    """Each flag reproduces one behaviour a client of the real API must tolerate."""

    batch_item_failure: bool = True
    """1. A refused skill create answers 200 with ``success: false`` per item (off: 400)."""
    create_omits_id: bool = True
    """2. The create result carries no ``skillId`` ..."""
    list_lag: float = 5.0
    """... and a new skill is missing from ``GET /skills`` for this many seconds (0: off)."""
    seven_day_schedule: bool = True
    """3. A schedule with an inactive day or an empty window is 400 ``InvalidParameter``."""
    string_totals: bool = True
    """4. ``totalRecords`` is a string on some lists ..."""
    result_set: bool = True
    """... and some answers are wrapped in ``resultSet``."""
    empty_204: bool = True
    """5. An empty list answers 204 with no body."""
    throttle_every: int = 0
    """6. Every Nth API request answers 429, alternately with and without Retry-After (0: off)."""
    revoke_every: int = 0
    """7. Every Nth API request finds its token expired early: 401 (0: off; expiry itself is always on)."""
    run_delay: float = 3.0
    """8. Start and stop answer 202; ``isRunning`` flips this many seconds later ..."""
    repeat_start_409: bool = True
    """... and a start of a running (or starting) skill is 409."""
    upload_starts_skill: bool = True
    """9. An upload with ``startSkill: true`` starts the skill."""
    require_accept: bool = True
    """Without ``Accept: application/json`` the API cannot render an answer (406)."""
    tenant_dnc_default: bool = True
    """New skills are scrubbed against the tenant DNC group unless told otherwise."""
    stats_key: str = "outboundStats"
    """The key of dialer-contacts intervals: real answers use outboundStats, the spec wfM_OB_StatsV9."""

    @classmethod
    def none(cls) -> Quirks:
        """Every quirk off: a well-behaved API, for focused tests."""
        off = {
            f.name: (0 if f.type in ("float", "int") else False) for f in fields(cls) if f.name != "stats_key"
        }
        return cls(**off)  # type: ignore[arg-type]

    @classmethod
    def all(cls, *, throttle_every: int = 7, revoke_every: int = 11) -> Quirks:
        """Every quirk on, request faults included."""
        return replace(cls(), throttle_every=throttle_every, revoke_every=revoke_every)
