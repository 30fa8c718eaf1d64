"""The adaptive client-side rate: ramps up, backs off on 429, stays under its ceiling, obeys Retry-After."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cxone.resilience import ResilienceConfig, Resilient
from reconciler.errors import ConfigError
from reconciler.session import resilience_config
from reconciler.settings import Target, from_env
from tests.fakes import FakeTime, SimulatedTime

URL = "http://127.0.0.1:9/api/campaigns"
ENV = {"CXONE_API_BASE": "http://127.0.0.1:9", "CXONE_CLIENT_ID": "demo", "CXONE_CLIENT_SECRET": "s"}


class Api:
    """An API on simulated time: ``latency`` per request, 429 above ``limit`` requests/s.

    The limit is a token bucket holding one second's worth, as the emulator's is;
    a 429 asks to wait ``retry_after`` seconds (default: the whole seconds to the next token).
    """

    def __init__(
        self,
        clock: SimulatedTime | FakeTime,
        *,
        limit: float = 0.0,
        latency: float = 0.02,
        retry_after: float | None = None,
        refuse: set[int] | None = None,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.latency = latency
        self.retry_after = retry_after
        self.refuse = refuse or set()
        """Numbers (from 1) of requests answered 429 whatever the rate."""
        self.sent: list[float] = []
        self.answers: list[int] = []
        self._tokens = limit
        self._stamp = clock.now

    async def __call__(self) -> httpx.Response:
        self.sent.append(self.clock.now)
        number = len(self.sent)
        if self.latency:
            await self.clock.sleep(self.latency)
        wait = self._take()
        if number in self.refuse:
            wait = wait or 1.0
        status = 200 if wait is None else 429
        self.answers.append(status)
        headers = {} if wait is None else {"Retry-After": str(math.ceil(self.retry_after or wait))}
        return httpx.Response(status, headers=headers, json={}, request=httpx.Request("GET", URL))

    def _take(self) -> float | None:
        if self.limit <= 0:
            return None
        now = self.clock.now
        self._tokens = min(self.limit, self._tokens + (now - self._stamp) * self.limit)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.limit

    @property
    def limited(self) -> int:
        return self.answers.count(429)

    def most_in_one_second(self) -> int:
        """The most requests sent within any one second."""
        times, most, first = sorted(self.sent), 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most


def policy(clock: SimulatedTime | FakeTime, **config: object) -> Resilient:
    return Resilient(config=ResilienceConfig(**config), runtime=clock.runtime)  # type: ignore[arg-type]


async def drive(resilient: Resilient, api: Api, requests: int, *, workers: int = 8) -> None:
    """``requests`` requests through ``resilient``, ``workers`` at a time (the executor's slots)."""
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            await resilient.send(api, what="GET /api/campaigns", retry=True)

    await asyncio.gather(*(worker() for _ in range(workers)))


async def test_the_rate_rises_while_requests_succeed() -> None:
    clock = SimulatedTime()
    api = Api(clock)
    resilient = policy(clock)  # the defaults: start at 20/s, adaptive, no ceiling
    await clock.run(drive(resilient, api, 300))
    assert resilient.adaptive is not None
    assert resilient.adaptive.rate > 60
    assert api.limited == 0
    # 300 requests at a fixed 20/s would take 14.5 s after the burst
    assert api.sent[-1] - api.sent[0] < 7
    # and the rate rose as it went: the last 100 left faster than the first 100
    assert api.sent[-1] - api.sent[-100] < (api.sent[99] - api.sent[0]) / 2


async def test_a_pinned_rate_stays_where_it_was_set() -> None:
    clock = SimulatedTime()
    api = Api(clock)
    resilient = policy(clock, adaptive=False)
    await clock.run(drive(resilient, api, 110))
    assert resilient.adaptive is None
    assert api.sent[-1] - api.sent[0] == pytest.approx(100 / 20, abs=0.05)  # a burst of 10, then 20/s


async def test_a_429_cuts_the_rate_multiplicatively_and_ends_slow_start() -> None:
    clock = FakeTime()
    api = Api(clock, latency=0, refuse={60})
    resilient = policy(clock)
    assert resilient.adaptive is not None
    rates: list[float] = []

    async def send() -> httpx.Response:
        rates.append(resilient.adaptive.rate if resilient.adaptive else 0.0)
        return await api()

    for _ in range(100):
        await resilient.send(send, what="GET /x", retry=True)
    assert api.answers[59] == 429
    before, after = rates[59], rates[60]
    assert after == pytest.approx(before * 0.7)
    assert resilient.adaptive.learned
    assert resilient.rate_limited == 1


async def test_after_a_429_the_rate_rises_additively_not_by_slow_start() -> None:
    clock = SimulatedTime()
    api = Api(clock, refuse={50})
    resilient = policy(clock)
    assert resilient.adaptive is not None
    await clock.run(drive(resilient, api, 50))
    cut = resilient.adaptive.rate
    await clock.run(drive(resilient, api, 200))
    # 200 more successes in slow start would add 100 requests/s; additively, ~3/s per second
    assert cut < resilient.adaptive.rate < cut + 30


async def test_429s_of_requests_already_in_flight_cut_the_rate_once() -> None:
    clock = SimulatedTime()
    api = Api(clock, latency=0.2, refuse={40, 41, 42, 43})  # sent before the first is answered
    resilient = policy(clock)
    assert resilient.adaptive is not None
    rates: list[float] = []

    async def send() -> httpx.Response:
        response = await api()
        rates.append(resilient.adaptive.rate if resilient.adaptive else 0.0)
        return response

    async def together() -> None:
        await asyncio.gather(*(resilient.send(send, what="GET /x", retry=True) for _ in range(50)))

    await clock.run(together())
    assert resilient.rate_limited == 4
    assert api.answers[39:44] == [429, 429, 429, 429, 200]
    # rates[i]: the rate when the (i+1)th answer came back, before the client saw it
    cut = rates[39] * 0.7
    assert rates[40:44] == [pytest.approx(cut)] * 4


async def test_the_rate_finds_the_api_limit_with_few_429s() -> None:
    clock = SimulatedTime()
    api = Api(clock, limit=50)
    resilient = policy(clock)
    assert resilient.adaptive is not None
    started = clock.now
    await clock.run(drive(resilient, api, 1500))
    elapsed = clock.now - started
    floor = (len(api.sent) - 50) / 50  # the API's one-second burst, then 50/s
    assert elapsed < 1.15 * floor
    assert api.limited <= 0.02 * len(api.sent)
    assert 30 < resilient.adaptive.rate < 90


async def test_the_rate_never_exceeds_its_ceiling() -> None:
    clock = SimulatedTime()
    api = Api(clock)
    resilient = policy(clock, rate_per_second=30, rate_ceiling=30, burst=1)
    assert resilient.adaptive is not None
    await clock.run(drive(resilient, api, 400))
    assert resilient.adaptive.rate == 30
    assert api.most_in_one_second() <= 31


async def test_a_ceiling_above_the_start_is_reached_and_kept() -> None:
    clock = SimulatedTime()
    api = Api(clock)
    resilient = policy(clock, rate_ceiling=35, burst=1)
    assert resilient.adaptive is not None
    await clock.run(drive(resilient, api, 400))
    assert resilient.adaptive.rate == 35
    assert api.most_in_one_second() <= 36


async def test_retry_after_holds_every_request_however_fast_the_rate() -> None:
    clock = SimulatedTime()
    api = Api(clock, refuse={120}, retry_after=3)
    resilient = policy(clock)
    await clock.run(drive(resilient, api, 200))
    refused = api.sent[119]
    answered = refused + api.latency
    after = api.sent[120:]
    # nothing left between the 429's answer and its Retry-After, from any worker
    assert all(at <= answered or at >= answered + 3 - 1e-9 for at in after)
    assert any(at >= answered + 3 - 1e-9 for at in after)
    assert api.answers.count(429) == 1


# --- where the settings come from ---------------------------------------------------------------


def test_by_default_the_rate_starts_at_20_with_no_ceiling_and_adapts() -> None:
    config = resilience_config(from_env(ENV))
    assert (config.rate_per_second, config.rate_ceiling, config.adaptive) == (20.0, None, True)


def test_a_set_rate_limit_is_the_start_and_the_ceiling_and_no_adaptive_pins_it() -> None:
    config = resilience_config(from_env({**ENV, "CXONE_RATE_LIMIT": "50"}))
    assert (config.rate_per_second, config.rate_ceiling, config.adaptive) == (50.0, 50.0, True)
    pinned = resilience_config(from_env(ENV, rate_limit=50, adaptive=False))
    assert (pinned.rate_per_second, pinned.adaptive) == (50.0, False)


def test_the_sandbox_has_no_client_side_limit() -> None:
    config = resilience_config(from_env({}, sandbox=Path("x.db")))
    assert config.rate_per_second == 0


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], (20.0, None, True)),
        (["--rate-limit", "50"], (50.0, 50.0, True)),
        (["--rate-limit", "50", "--no-adaptive"], (50.0, 50.0, False)),
    ],
)
def test_the_global_flags_reach_the_client_settings(
    flags: list[str], expected: tuple[float, float | None, bool], tmp_path: Path
) -> None:
    seen: list[Target] = []

    @asynccontextmanager
    async def open_tenant(target: Target, *, runtime: object = None) -> AsyncIterator[None]:
        seen.append(target)
        raise ConfigError("stop here")
        yield  # pragma: no cover

    (tmp_path / "c.yaml").write_text(
        "apiVersion: cxone.reconciler/v1\nkind: Campaign\nmetadata: {name: A}\n"
        "spec: {dialerType: PREDICTIVE, contactListId: CL-1, dnc: {enforceNational: true, "
        "enforceLocal: true}, pacing: {callsPerMinute: 10, maxConcurrent: 20}}\n"
    )
    result = CliRunner().invoke(
        main, [*flags, "plan", str(tmp_path)], env=ENV, obj={"open_tenant": open_tenant}
    )
    assert "stop here" in result.output, result.output
    config = resilience_config(seen[0])
    assert (config.rate_per_second, config.rate_ceiling, config.adaptive) == expected
