"""Fault injection for the emulator: latency, a rate limit, random 5xx, outages, failed starts, lost answers.

All off by default; set through ``Faults`` (constructor) or `reconciler emulator` flags.
"""

from __future__ import annotations

import fnmatch
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from starlette.responses import Response

from reconciler.emulator.problem import Problem


@dataclass(frozen=True)
class FailStart:
    """Campaigns whose name matches ``pattern`` end their start in ERROR."""

    pattern: str
    code: str = "DIALER_SESSION_FAILURE"
    message: str = "dialer session could not be established"


WRITES = ("POST", "PATCH", "DELETE")
DROP_CONNECTION = "reconciler.drop_connection"
"""ASGI scope extension the HTTP server provides: a callable that aborts the request's connection."""


@dataclass(frozen=True)
class LoseResponses:
    """Commit, then lose the answer: the write is carried out, the client never learns it.

    Writes are POST, PATCH and DELETE requests (start and stop included) whose
    ``"METHOD PATH"`` matches ``requests`` (fnmatch), counted from 1 as they
    reach the API (after latency, rate limit, outages and random 5xx). The
    ``nth`` write loses its answer, then every ``every``-th write after it
    (0: only the nth). ``mode`` "504" answers 504 UPSTREAM_UNAVAILABLE instead
    of the real answer; "drop" closes the connection without any answer
    (in process, through ``httpx.ASGITransport``, it raises
    ``httpx.RemoteProtocolError`` as a real dropped connection would).

    ``LoseResponses(nth=3)``: only the third write. ``LoseResponses(every=1)``:
    every write. ``LoseResponses(nth=2, every=2, mode="drop")``: every other
    write from the second. ``LoseResponses(requests="POST /api/campaigns/*/start")``:
    the first start.
    """

    nth: int = 1
    every: int = 0
    mode: Literal["504", "drop"] = "504"
    requests: str = "* /api/*"

    def __post_init__(self) -> None:
        if self.nth < 1 or self.every < 0:
            raise ValueError(f"LoseResponses needs nth >= 1 and every >= 0, got {self.nth} and {self.every}")
        if self.mode not in ("504", "drop"):
            raise ValueError(f"LoseResponses mode is '504' or 'drop', not {self.mode!r}")

    def loses(self, write: int) -> bool:
        """Whether the answer to the ``write``-th matching write (from 1) is lost."""
        if write == self.nth:
            return True
        return self.every > 0 and write > self.nth and (write - self.nth) % self.every == 0

    def matches(self, method: str, path: str) -> bool:
        return method in WRITES and fnmatch.fnmatchcase(f"{method} {path}", self.requests)


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
    lose_responses: LoseResponses | None = None
    """Writes that are committed and then lose their answer (504 or a dropped connection)."""
    seed: int = 1


class FaultInjection:
    """ASGI middleware: request counting, latency, rate limit, outages, random 5xx and lost answers.

    ``faults`` is read at every request, so the faults in force can change
    while serving; ``clock`` (monotonic seconds) and ``sleep`` are injected.
    """

    def __init__(
        self,
        app: Any,
        *,
        faults: Callable[[], Faults],
        requests: Counter[str],
        lost: list[str],
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.app = app
        self.faults, self.requests, self.lost = faults, requests, lost
        self.clock, self.sleep = clock, sleep
        self._rng = random.Random(faults().seed)
        self._tokens = float(faults().rate_limit)
        self._stamp = clock()
        self._lose: LoseResponses | None = None
        self._writes = 0

    def _rate_limited(self, rate: float) -> float | None:
        """Seconds to wait when the API-wide token bucket is empty, else None."""
        if rate <= 0:
            return None
        now = self.clock()
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
        self.requests[f"{scope['method']} {scope['path']}"] += 1
        faults = self.faults()
        if faults.latency:
            await self.sleep(faults.latency)
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
        elif faults.lose_responses and self._loses_answer(
            faults.lose_responses, scope["method"], scope["path"]
        ):
            await self._lose_answer(faults.lose_responses, scope, receive, send)
            return
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    def _loses_answer(self, rule: LoseResponses, method: str, path: str) -> bool:
        if rule is not self._lose:  # a new rule counts from the start
            self._lose, self._writes = rule, 0
        if not rule.matches(method, path):
            return False
        self._writes += 1
        return rule.loses(self._writes)

    async def _lose_answer(self, rule: LoseResponses, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Carry the write out, then answer 504 or drop the connection instead of the real answer."""
        answered: list[int] = []

        async def swallow(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        await self.app(scope, receive, swallow)
        self.lost.append(f"{scope['method']} {scope['path']} {answered[0] if answered else '-'}")
        if rule.mode == "504":
            problem = Problem(504, "UPSTREAM_UNAVAILABLE", "gateway timeout (injected: the answer was lost)")
            await problem.response()(scope, receive, send)
            return
        drop = scope.get("extensions", {}).get(DROP_CONNECTION)
        if drop is None:  # in process: what httpx raises when a server hangs up
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        await drop()
