"""Fault injection for the emulator: latency, a rate limit, random 5xx, outages, failed starts.

All off by default; set through ``Faults`` (constructor) or `reconciler emulator` flags.
"""

from __future__ import annotations

import asyncio
import fnmatch
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from reconciler.emulator.problem import Problem

if TYPE_CHECKING:
    from reconciler.emulator.app import Emulator


@dataclass(frozen=True)
class FailStart:
    """Campaigns whose name matches ``pattern`` end their start in ERROR."""

    pattern: str
    code: str = "DIALER_SESSION_FAILURE"
    message: str = "dialer session could not be established"


@dataclass(frozen=True)
class Faults:
    """Fault injection: all off by default."""

    latency: float = 0.0
    error_rate: float = 0.0
    rate_limit: float = 0.0
    """Requests per second the whole API accepts (token bucket); 0 = unlimited."""
    fail_start: tuple[FailStart, ...] = ()
    broken: tuple[str, ...] = ()
    """Paths (fnmatch patterns) that always answer 503: an outage of one part of the API."""
    seed: int = 1


class FaultInjection:
    """ASGI middleware: request counting, latency, rate limit, outages and random 5xx."""

    def __init__(self, app: Any, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        self._rng = random.Random(emulator.faults.seed)
        self._tokens = float(emulator.faults.rate_limit)
        self._stamp = time.monotonic()

    def _rate_limited(self, rate: float) -> float | None:
        """Seconds to wait when the API-wide token bucket is empty, else None."""
        if rate <= 0:
            return None
        now = time.monotonic()
        self._tokens = min(rate, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / rate

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emulator = self.emulator
        emulator.requests[f"{scope['method']} {scope['path']}"] += 1
        faults = emulator.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        wait = self._rate_limited(faults.rate_limit)
        response: Response
        if wait is not None:
            response = Problem(
                429,
                "RATE_LIMITED",
                "too many requests",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            ).response()
        elif any(fnmatch.fnmatchcase(scope["path"], pattern) for pattern in faults.broken):
            response = Problem(503, "UPSTREAM_UNAVAILABLE", "injected outage").response()
        elif (
            faults.error_rate and scope["path"].startswith("/api/") and self._rng.random() < faults.error_rate
        ):
            code = self._rng.choice([500, 502, 503, 504])
            response = Problem(
                code,
                "UPSTREAM_UNAVAILABLE" if code != 500 else "DIALER_SESSION_FAILURE",
                "injected failure",
            ).response()
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
