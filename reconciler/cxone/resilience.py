"""Politeness and fault tolerance: backoff, Retry-After, token bucket, circuit breaker.

``Resilient.send`` is the one retry policy every API request goes through.
Every setting lives in ``ResilienceConfig`` with its default; time and
randomness come in through ``Runtime`` so tests never sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from reconciler.cxone.adaptive import AdaptiveRate
from reconciler.cxone.errors import after_attempts, error_from_response, error_from_transport
from reconciler.errors import ApiError, BadEndpoint, CircuitOpen, RateLimited, TransientError, Unreachable
from reconciler.runtime import Runtime

__all__ = [
    "ATTEMPT",
    "CircuitBreaker",
    "ResilienceConfig",
    "Resilient",
    "RetryGate",
    "Runtime",
    "TokenBucket",
    "full_jitter",
    "parse_retry_after",
]

log = logging.getLogger("reconciler.http")

ATTEMPT: ContextVar[int] = ContextVar("reconciler_attempt", default=1)
"""The attempt number of the request being sent, for the -v trace (token requests included)."""


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
    """The client-side rate a run starts at (the fixed rate without ``adaptive``); 0 = no limit."""
    burst: int = 10
    adaptive: bool = True
    """Raise the rate while requests succeed, cut it on a 429 (``cxone/adaptive.py``)."""
    rate_ceiling: float | None = None
    """The adaptive rate never goes above this (``--rate-limit``); None = no ceiling."""
    rate_floor: float = 1.0
    """Nor below this, however many 429s."""
    rate_slow_start_step: float = 0.5
    """Until the first 429: requests/s added by each success that waited for the limiter."""
    rate_increase: float = 3.0
    """After it: requests/s added per second of successes at the limit."""
    rate_decrease: float = 0.7
    """A 429 multiplies the rate by this (once per congestion event)."""
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

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """From now on, ``rate`` per second (tokens earned so far were earned at the old rate)."""
        if self._rate > 0:
            self._refill()
        self._stamp = self._runtime.monotonic()
        self._rate = rate

    def _refill(self) -> None:
        now = self._runtime.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    async def acquire(self) -> bool:
        """Take a token, waiting for one if need be; whether the caller had to wait (or queue)."""
        if self._rate <= 0:
            return False
        waited = self._lock.locked()
        async with self._lock:
            while True:
                self._refill()
                if self._tokens >= 1 - 1e-9:  # float noise must not starve a caller
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                waited = True
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
        self._last_failure: ApiError | None = None

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
                retry_at = time.strftime(
                    "%H:%M:%S", self._runtime.localtime(self._runtime.wall() + remaining)
                )
                last = self._last_failure
                if isinstance(last, Unreachable | BadEndpoint):  # say what failed, not "unavailable"
                    raise CircuitOpen(
                        f"{last.message}; nothing is sent before {retry_at} ({remaining:.0f} s)",
                        hint=last.hint,
                    )
                raise CircuitOpen(
                    f"CXone API unavailable, retrying after {retry_at} ({remaining:.0f} s)"
                    + (f"; last failure: {last.message}" if last else ""),
                    hint=(last.hint if last else None)
                    or "the API has been failing; the circuit breaker stops sending for a while",
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

    def record(self, ok: bool, failure: ApiError | None = None) -> None:
        """One outcome; ``failure`` (what went wrong) is shown while the circuit is open."""
        if not ok and failure is not None:
            self._last_failure = failure
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


class Resilient:
    """Gate, token bucket (at the adaptive rate), circuit breaker and retries around one request.

    Each send is one attempt, numbered for the trace. 5xx answers and
    dropped connections use up the ``max_attempts`` budget (and are retried
    only when ``retry`` says the request may be sent twice); a connection
    that never opened, or a failed token request, never reached the API and
    is retried whatever the method. A 429 uses up no attempt: nothing is
    sent before its Retry-After, up to ``max_rate_limited`` times.
    """

    def __init__(self, *, config: ResilienceConfig, runtime: Runtime) -> None:
        self.config = config
        self.runtime = runtime
        self.gate = RetryGate(runtime)
        self.bucket = TokenBucket(config.rate_per_second, config.burst, runtime)
        self.adaptive = (
            AdaptiveRate(config, self.bucket, runtime.monotonic)
            if config.adaptive and config.rate_per_second > 0
            else None
        )
        self.breaker = CircuitBreaker(config, runtime)
        self.rate_limited = 0
        """429 answers received (each held every request until its Retry-After)."""
        self._counted: ApiError | None = None

    async def send(
        self, request: Callable[[], Awaitable[httpx.Response]], *, what: str, retry: bool
    ) -> httpx.Response:
        """Send ``request`` until it succeeds or fails for good; ``what`` names it ("GET /api/x")."""
        failures = waits = 0
        for attempt in itertools.count(1):
            ATTEMPT.set(attempt)
            await self.gate.wait()
            waited = await self.bucket.acquire()
            await self.gate.wait()  # a 429 may have come while this request waited for its token
            self.breaker.before_request()
            started = self.runtime.monotonic()
            try:
                response = await request()
            except RateLimited as exc:  # the token endpoint asks to wait
                self.breaker.record(True)
                self._throttled(started)
                wait = exc.retry_after
            except (httpx.TransportError, TransientError) as exc:
                failure, unsent = self._failure(exc, what, attempt, started)
                if failure is self._counted:  # one failed token round, shared by its waiters, counts once
                    self.breaker.release()
                else:
                    self.breaker.record(False, failure)
                    self._counted = failure
                failures += 1
                if isinstance(failure, BadEndpoint) or not (retry or unsent):
                    raise failure from None
                if failures >= self.config.max_attempts:
                    raise (
                        after_attempts(failure, attempt) if isinstance(failure, Unreachable) else failure
                    ) from None
                await self.runtime.sleep(full_jitter(failures, self.config, self.runtime.random))
                continue
            except ApiError as exc:  # the token endpoint refused, or cannot be reached as configured
                self.breaker.record(not isinstance(exc, BadEndpoint), exc)
                raise
            except BaseException:
                self.breaker.release()
                raise
            else:
                status = response.status_code
                if status < 500 and status != 429 and self.adaptive is not None:
                    self.adaptive.succeeded(waited=waited)
                if status < 400:
                    self.breaker.record(True)
                    return response
                if status != 429:
                    error = error_from_response(response)
                    self.breaker.record(status < 500, error)
                    failures += status >= 500
                    if status >= 500 and retry and failures < self.config.max_attempts:
                        await self.runtime.sleep(full_jitter(failures, self.config, self.runtime.random))
                        continue
                    raise error
                self.breaker.record(True)
                self._throttled(started)
                wait = parse_retry_after(response.headers.get("Retry-After"), self.runtime.wall()) or 1.0
            waits += 1
            self._hold(wait, waits, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttled(self, sent_at: float) -> None:
        if self.adaptive is not None:
            self.adaptive.throttled(sent_at=sent_at)

    def _failure(
        self, exc: httpx.TransportError | TransientError, what: str, attempt: int, started: float
    ) -> tuple[ApiError, bool]:
        """The error for a failed attempt, and whether the API request was surely not sent."""
        if isinstance(exc, TransientError):  # from the token endpoint: the API request never left
            return exc, True
        failure = error_from_transport(exc)
        elapsed_ms = (self.runtime.monotonic() - started) * 1000
        log.debug("%s -> %s after %.0f ms (attempt %s)", what, failure.cause, elapsed_ms, attempt)
        return failure, isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)

    def _hold(self, wait: float, waits: int, what: str) -> None:
        """Hold every request for a 429's Retry-After, unless it asks too much."""
        self.rate_limited += 1
        config = self.config
        if wait > config.max_retry_after:
            raise RateLimited(
                f"{what}: CXone asks to wait {wait:.0f} s before the next request, "
                f"more than the {config.max_retry_after:.0f} s this tool waits",
                retry_after=wait,
                hint="the API's rate limit is exhausted; try again later",
            )
        if waits > config.max_rate_limited:
            raise RateLimited(
                f"{what}: still rate limited after {waits - 1} waits",
                retry_after=wait,
                hint="lower the request rate (CXONE_RATE_LIMIT)",
            )
        self.gate.block_for(wait)
