"""Simulated dialer behaviour: answer and abandon rates, calls placed.

Pure and reproducible from a seed: a campaign's answer rate drifts slowly
around a base drawn from its name; its abandon rate climbs when answered
calls outrun what its agents (``maxConcurrent``) can take. Profiles pin the
rates for campaigns whose names match a pattern, so tests and demos can
stage low or high answer rates and abandon spikes.

Counters (calls placed, answered, abandoned) are accumulated minute by
simulated minute over a run at one pacing (``segment``), so they only grow
as time passes, whatever the rates do.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """Fixed figures for campaigns whose name matches ``pattern`` (fnmatch)."""

    pattern: str
    answer_rate: float | None = None
    abandon_rate: float | None = None


TICK = 60.0
"""Simulated seconds over which the dialer's rates are taken as constant when counting calls."""


@dataclass(frozen=True)
class Figures:
    """Cumulative counters: calls placed, answered and abandoned (fractions kept; the API floors them)."""

    placed: float = 0.0
    answered: float = 0.0
    abandoned: float = 0.0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.placed + other.placed, self.answered + other.answered, self.abandoned + other.abandoned
        )


@dataclass(frozen=True)
class DialerModel:
    seed: int = 7
    speed: float = 1.0
    """Simulated seconds of dialing per real second (the sandbox runs faster)."""
    avg_talk_seconds: float = 150.0
    drift_period: float = 900.0
    profiles: tuple[Profile, ...] = field(default=())

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (models are few, frozen and long-lived)
    def _unit(self, name: str, salt: str) -> float:
        digest = hashlib.sha256(f"{self.seed}:{salt}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _profile(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if fnmatch.fnmatchcase(name, p.pattern)), None)

    def answer_rate(self, name: str, running_seconds: float) -> float:
        profile = self._profile(name)
        if profile and profile.answer_rate is not None:
            return profile.answer_rate
        base = 0.15 + 0.3 * self._unit(name, "answer")
        phase = 2 * math.pi * self._unit(name, "phase")
        drift = 0.08 * math.sin(2 * math.pi * running_seconds / self.drift_period + phase)
        return round(min(0.95, max(0.02, base + drift)), 4)

    def abandon_rate(self, name: str, calls_per_minute: int, max_concurrent: int, answer: float) -> float:
        profile = self._profile(name)
        if profile and profile.abandon_rate is not None:
            return profile.abandon_rate
        answered_per_minute = calls_per_minute * answer
        capacity = max_concurrent * 60.0 / self.avg_talk_seconds
        baseline = 0.004 + 0.006 * self._unit(name, "abandon")
        if answered_per_minute <= capacity or answered_per_minute == 0:
            return round(baseline, 4)
        overload = (answered_per_minute - capacity) / answered_per_minute
        return round(min(1.0, baseline + 0.5 * overload), 4)

    def active_calls(self, calls_per_minute: int, max_concurrent: int, answer: float) -> int:
        in_talk = calls_per_minute * answer * self.avg_talk_seconds / 60.0
        return min(max_concurrent, round(in_talk))

    def talk_time(self, name: str) -> float:
        return round(self.avg_talk_seconds * (0.8 + 0.4 * self._unit(name, "talk")), 1)

    def placed(self, calls_per_minute: int, *, seconds: float, remaining: float) -> float:
        """The calls ``segment`` places, without its minute-by-minute walk (rates do not matter here).

        A status only needs this count (dialled out or not), and a listing
        asks for the status of every campaign on the page: it must not cost
        a loop over every simulated minute of every run.
        """
        full, rest = divmod(max(0.0, seconds), TICK)
        placed = min(calls_per_minute * full, remaining)  # what the loop adds up, minute by minute
        if rest > 0 and placed < remaining:
            placed = min(placed + calls_per_minute * rest / 60.0, remaining)
        if remaining - placed < 1e-9:  # dialled out, as in segment
            placed = remaining
        return placed

    def segment(
        self,
        name: str,
        calls_per_minute: int,
        max_concurrent: int,
        *,
        begin: float,
        seconds: float,
        remaining: float,
    ) -> Figures:
        """Calls of ``seconds`` simulated seconds of dialing at one pacing, ``begin`` seconds into the run.

        Rates are taken at the start of each simulated minute (counted from the
        segment's start); no more than ``remaining`` calls are placed. Never
        decreases as ``seconds`` grows.
        """
        placed = answered = abandoned = 0.0
        offset = 0.0
        while offset < seconds and placed < remaining:
            calls = min(calls_per_minute * min(TICK, seconds - offset) / 60.0, remaining - placed)
            answer = self.answer_rate(name, begin + offset)
            placed += calls
            answered += calls * answer
            abandoned += calls * answer * self.abandon_rate(name, calls_per_minute, max_concurrent, answer)
            offset += TICK
        if remaining - placed < 1e-9:  # dialled out: exactly the list, whatever the float sums say
            placed = remaining
        return Figures(placed, answered, abandoned)
