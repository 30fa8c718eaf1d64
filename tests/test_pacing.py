"""decide(): each rule, the bounds, the abandon guard and the cooldown, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.pacing import decide
from reconciler.spec.models import AdaptivePacing
from reconciler.tenant import Realtime

RULES = AdaptivePacing.model_validate(
    {
        "minCallsPerMinute": 5,
        "maxCallsPerMinute": 25,
        "maxAbandonRate": 0.03,
        "cooldown": "2m",
        "rules": [
            {"when": {"answerRate": {"gte": 0.35}}, "set": {"callsPerMinute": 40}},
            {"when": {"answerRate": {"lt": 0.175}}, "set": {"callsPerMinute": 1}},
            {"when": {"activeCalls": {"gt": 15}, "totalCalls": {"gte": 100}}, "set": {"maxConcurrent": 30}},
            {"when": {"answerRate": {"gte": 0.3}}, "set": {"callsPerMinute": 15}},
        ],
    }
)


def stats(answer: float = 0.25, abandon: float = 0.01, active: int = 5, total: int = 50) -> Realtime:
    return Realtime(answer_rate=answer, abandon_rate=abandon, active_calls=active, total_calls=total)


def pacing(cpm: int = 10, concurrent: int = 20) -> dict[str, int]:
    return {"callsPerMinute": cpm, "maxConcurrent": concurrent}


@pytest.mark.parametrize(
    ("figures", "current", "expected", "reason"),
    [
        ({"answer": 0.4}, pacing(10), pacing(25), "rule 1: answerRate 0.4 >= 0.35"),
        ({"answer": 0.1}, pacing(10), pacing(5), "rule 2: answerRate 0.1 < 0.175"),
        (
            {"answer": 0.25, "active": 16, "total": 100},
            pacing(10),
            pacing(10, 30),
            "rule 3: activeCalls 16 > 15",
        ),
        ({"answer": 0.25, "active": 16, "total": 99}, pacing(10), pacing(10), "no rule matched"),
        ({"answer": 0.32}, pacing(10), pacing(15), "rule 4: answerRate 0.32 >= 0.3"),
        ({"answer": 0.4}, pacing(25), pacing(25), "already there"),
        ({"answer": 0.25}, pacing(40), pacing(25), "outside [5, 25]: clamped"),
        ({"answer": 0.25}, pacing(2), pacing(5), "outside [5, 25]: clamped"),
    ],
)
def test_rules_first_match_wins_and_results_stay_in_bounds(
    figures: dict[str, Any], current: dict[str, int], expected: dict[str, int], reason: str
) -> None:
    decision = decide(RULES, stats(**figures), current, now=1000, last_change_at=None)
    assert decision.pacing == expected
    assert reason in decision.reason


@pytest.mark.parametrize(
    ("answer", "cpm", "expected"),
    [
        (0.25, 20, 15),  # steps down by a quarter
        (0.25, 6, 5),  # never below the minimum
        (0.25, 5, 5),  # at the minimum it holds
        (0.4, 10, 7),  # a rule asking to rise is ignored
        (0.1, 20, 5),  # a rule asking for less than the step wins
        (0.25, 2, 2),  # below the range it does not rise to the minimum
    ],
)
def test_above_the_abandon_cap_pacing_never_rises_and_steps_down(
    answer: float, cpm: int, expected: int
) -> None:
    decision = decide(RULES, stats(answer=answer, abandon=0.05), pacing(cpm), now=1000, last_change_at=999)
    assert decision.pacing["callsPerMinute"] == expected
    assert decision.pacing["callsPerMinute"] <= cpm
    assert "above the 3.0% cap" in decision.reason


def test_at_the_cap_exactly_the_rules_apply() -> None:
    decision = decide(RULES, stats(answer=0.4, abandon=0.03), pacing(10), now=1000, last_change_at=None)
    assert decision.pacing["callsPerMinute"] == 25


def test_the_cooldown_holds_a_rule_change_after_a_recent_change() -> None:
    held = decide(RULES, stats(answer=0.4), pacing(10), now=1000, last_change_at=1000 - 119)
    assert held.pacing == pacing(10)
    assert "holding: changed 119 s ago, cooldown 120 s" in held.reason
    moved = decide(RULES, stats(answer=0.4), pacing(10), now=1000, last_change_at=1000 - 121)
    assert moved.pacing == pacing(25)


def test_one_noisy_sample_does_not_make_pacing_flap() -> None:
    first = decide(RULES, stats(answer=0.4), pacing(10), now=1000, last_change_at=0)
    assert first.pacing == pacing(25)
    noisy = decide(RULES, stats(answer=0.1), first.pacing, now=1030, last_change_at=1000)
    assert noisy.pacing == pacing(25)
    settled = decide(RULES, stats(answer=0.4), first.pacing, now=1060, last_change_at=1000)
    assert settled.pacing == pacing(25)


def test_the_guard_ignores_the_cooldown() -> None:
    decision = decide(RULES, stats(abandon=0.2), pacing(20), now=1000, last_change_at=999)
    assert decision.pacing == pacing(15)


def test_several_conditions_in_one_rule_must_all_hold() -> None:
    only_active = decide(RULES, stats(active=20, total=10), pacing(10), now=0, last_change_at=None)
    assert only_active.pacing == pacing(10)
