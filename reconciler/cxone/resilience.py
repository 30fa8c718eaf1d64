"""Politeness and fault tolerance: backoff, Retry-After, token bucket, circuit breaker.

Every setting lives in ``ResilienceConfig`` with its default; time and
randomness come in through ``Runtime`` so tests never sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from reconciler.errors import CircuitOpen
from reconciler.runtime import Runtime

__all__ = [
    "CircuitBreaker",
    "ResilienceConfig",
    "RetryGate",
    "Runtime",
    "TokenBucket",
    "full_jitter",
    "parse_retry_after",
]


@dataclass(frozen=True, kw_only=True)
class ResilienceConfig:
    """Every resilience knob, with its default, in one place."""

    max_attempts: int = 6
    """Attempts per request for 5xx / dropped connections (idempotent or keyed only)."""
    backoff_base: float = 0.25
    backoff_cap: float = 20.0
    max_retry_after: float = 120.0
    """A 429 asking to wait longer than this fails at once."""
    max_rate_limited: int = 8
    """How many 429s one request may ride out."""
    rate_per_second: float = 20.0
    burst: int = 10
    breaker_window: int = 20
    breaker_min_calls: int = 10
    breaker_failure_ratio: float = 0.8
    breaker_successes: int = 2
    breaker_open_for: float = 30.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


def full_jitter(attempt: int, config: ResilienceConfig, rnd: Callable[[], float]) -> float:
    """AWS-style full jitter: uniform in [0, min(cap, base * 2**attempt))."""
    return rnd() * min(config.backoff_cap, config.backoff_base * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None, now_wall: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now_wall)


class RetryGate:
    """No request leaves before the instant the API last asked us to wait for."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._not_before = 0.0

    def block_for(self, seconds: float) -> None:
        self._not_before = max(self._not_before, self._runtime.monotonic() + seconds)

    async def wait(self) -> None:
        while (delay := self._not_before - self._runtime.monotonic()) > 0:
            await self._runtime.sleep(delay)


class TokenBucket:
    """Client-side rate limit shared by every request, polls included."""

    def __init__(self, rate: float, burst: int, runtime: Runtime) -> None:
        self._rate = rate
        self._capacity = float(max(1, burst))
        self._tokens = self._capacity
        self._runtime = runtime
        self._stamp = runtime.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self._rate <= 0:
            return
        async with self._lock:
            while True:
                now = self._runtime.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1 - 1e-9:  # float noise must not starve a caller
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._runtime.sleep(max(0.001, (1 - self._tokens) / self._rate))


class CircuitBreaker:
    """Closed -> open -> half-open -> closed, on the failure ratio of recent calls.

    A ratio over a window, rather than the tutorial's three consecutive
    failures, so that ordinary transient noise (which retries ride out)
    does not stop all traffic, while an outage still opens the circuit.
    """

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(self, config: ResilienceConfig, runtime: Runtime) -> None:
        self._config = config
        self._runtime = runtime
        self._outcomes: deque[bool] = deque(maxlen=config.breaker_window)
        self._state = self.CLOSED
        self._opened_at = 0.0
        self._probing = False
        self._probe_successes = 0

    @property
    def state(self) -> str:
        if self._state == self.OPEN and self._remaining() <= 0:
            return self.HALF_OPEN
        return self._state

    def _remaining(self) -> float:
        return self._opened_at + self._config.breaker_open_for - self._runtime.monotonic()

    def before_request(self) -> None:
        """Raise CircuitOpen unless a request may go out now."""
        if self._state == self.OPEN:
            remaining = self._remaining()
            if remaining > 0:
                retry_at = time.strftime("%H:%M:%S", time.localtime(self._runtime.wall() + remaining))
                raise CircuitOpen(
                    f"CXone API unavailable, retrying after {retry_at} ({remaining:.0f} s)",
                    hint="the API has been failing; the circuit breaker stops sending for a while",
                )
            self._state = self.HALF_OPEN
            self._probe_successes = 0
            self._probing = False
        if self._state == self.HALF_OPEN:
            if self._probing:
                raise CircuitOpen(
                    "CXone API unavailable, a probe request is in flight",
                    hint="retry in a few seconds",
                )
            self._probing = True

    def release(self) -> None:
        """A request ended without an outcome (cancelled): free the probe slot."""
        self._probing = False

    def record(self, ok: bool) -> None:
        if self._state == self.HALF_OPEN:
            self._probing = False
            if not ok:
                self._trip()
                return
            self._probe_successes += 1
            if self._probe_successes >= self._config.breaker_successes:
                self._state = self.CLOSED
                self._outcomes.clear()
            return
        self._outcomes.append(ok)
        failures = self._outcomes.count(False)
        if (
            len(self._outcomes) >= self._config.breaker_min_calls
            and failures / len(self._outcomes) >= self._config.breaker_failure_ratio
        ):
            self._trip()

    def _trip(self) -> None:
        self._state = self.OPEN
        self._opened_at = self._runtime.monotonic()
        self._outcomes.clear()
