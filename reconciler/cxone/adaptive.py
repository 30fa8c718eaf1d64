"""The adaptive client-side rate: find the tenant's request budget without being told it.

Additive increase, multiplicative decrease, as TCP's congestion control and
the AWS SDKs' adaptive retry mode do. The rate starts at the configured one;
until the first 429 every success that had to wait for the rate limiter adds
a fixed step (so the rate roughly doubles per second of full demand: "slow
start"); a 429 multiplies the rate by ``rate_decrease`` and ends slow start
for the rest of the run; after it, successes add ``rate_increase`` requests/s
per second at the limit. The rate never exceeds ``rate_ceiling`` (the user's
``--rate-limit``) nor falls below ``rate_floor``. 429s answering requests sent
before the last cut are one congestion event, not several: they cut nothing
more. Waiting for ``Retry-After`` is not this module's job (``RetryGate``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reconciler.cxone.resilience import ResilienceConfig

__all__ = ["AdaptiveRate", "Paced"]

log = logging.getLogger("reconciler.http")


class Paced(Protocol):
    """What the adaptive rate steers: a limiter whose rate can change."""

    def set_rate(self, rate: float) -> None: ...


class AdaptiveRate:
    """The learned request rate of one run, applied to ``limiter`` whenever it changes."""

    def __init__(self, config: ResilienceConfig, limiter: Paced, clock: Callable[[], float]) -> None:
        self._config = config
        self._limiter = limiter
        self._clock = clock
        ceiling = config.rate_ceiling
        self._ceiling = ceiling if ceiling and ceiling > 0 else float("inf")
        self._rate = min(config.rate_per_second, self._ceiling)
        self._slow_start = True
        self._last_cut = float("-inf")
        limiter.set_rate(self._rate)

    @property
    def rate(self) -> float:
        """Requests per second the limiter lets through now."""
        return self._rate

    @property
    def learned(self) -> bool:
        """Whether a 429 has taught the rate where the tenant's limit lies."""
        return not self._slow_start

    def succeeded(self, *, waited: bool) -> None:
        """A request was answered without a 429; ``waited``: the limiter held it (demand above the rate)."""
        if not waited or self._rate >= self._ceiling:
            return
        config = self._config
        step = config.rate_slow_start_step if self._slow_start else config.rate_increase / self._rate
        self._set(min(self._ceiling, self._rate + step))

    def throttled(self, *, sent_at: float) -> None:
        """A request sent at monotonic ``sent_at`` was answered 429."""
        if sent_at < self._last_cut:
            return  # already in flight when the rate was last cut: the same congestion event
        self._last_cut = self._clock()
        self._slow_start = False
        before = self._rate
        self._set(max(self._config.rate_floor, before * self._config.rate_decrease))
        log.debug("429: client-side rate %.1f -> %.1f requests/s", before, self._rate)

    def _set(self, rate: float) -> None:
        self._rate = rate
        self._limiter.set_rate(rate)
