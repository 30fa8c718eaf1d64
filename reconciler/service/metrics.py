"""Prometheus metrics (the names control-api.yaml lists), and the transport that counts tenant calls.

Each service has its own registry, so several services in one process (tests)
never share series. Exposition is prometheus-client's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["CONTENT_TYPE", "DRIFT_STATES", "Metrics", "MetricsTransport"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
DRIFT_STATES = ("in-sync", "drifted", "missing", "unowned", "suspended", "error")
_PREFIX = "cxone_reconciler_"


class Metrics:
    """Every series the service exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.cycles = Counter(_PREFIX + "cycles", "Reconcile cycles by outcome.", ["outcome"], registry=r)
        self.cycle_duration = Histogram(
            _PREFIX + "cycle_duration_seconds",
            "How long a reconcile cycle took.",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.campaigns = Gauge(_PREFIX + "campaigns", "Campaigns per drift state.", ["state"], registry=r)
        for state in DRIFT_STATES:
            self.campaigns.labels(state).set(0)
        self.operations = Counter(
            _PREFIX + "operations", "Operations by kind and outcome.", ["kind", "outcome"], registry=r
        )
        self.pacing_decisions = Counter(
            _PREFIX + "pacing_decisions", "Pacing decisions, applied or not.", ["applied"], registry=r
        )
        self.api_requests = Counter(
            _PREFIX + "api_requests", "Requests to the CXone tenant.", ["method", "code"], registry=r
        )
        self.api_duration = Histogram(
            _PREFIX + "api_request_duration_seconds", "Duration of requests to the CXone tenant.", registry=r
        )
        self.rate_limited = Counter(
            _PREFIX + "api_rate_limited", "429 answers from the CXone tenant.", registry=r
        )
        self.circuit_open = Gauge(
            _PREFIX + "circuit_open", "1 while the circuit breaker to the tenant is open.", registry=r
        )
        self.calls_per_minute = Gauge(
            _PREFIX + "campaign_calls_per_minute", "Pacing in force.", ["campaign"], registry=r
        )
        self.answer_rate = Gauge(
            _PREFIX + "campaign_answer_rate", "Last realtime answer rate.", ["campaign"], registry=r
        )
        self.abandon_rate = Gauge(
            _PREFIX + "campaign_abandon_rate", "Last realtime abandon rate.", ["campaign"], registry=r
        )

    def count_states(self, counts: dict[str, int]) -> None:
        for state in DRIFT_STATES:
            self.campaigns.labels(state).set(counts.get(state, 0))

    def watch_breaker(self, is_open: Callable[[], bool]) -> None:
        self.circuit_open.set_function(lambda: 1.0 if is_open() else 0.0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsTransport(httpx.AsyncBaseTransport):
    """Wraps the tenant's transport: counts each request by method and status, and its duration."""

    def __init__(self, inner: httpx.AsyncBaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.metrics.api_requests.labels(request.method, "error").inc()
            raise
        finally:
            self.metrics.api_duration.observe(time.perf_counter() - started)
        self.metrics.api_requests.labels(request.method, str(response.status_code)).inc()
        if response.status_code == 429:
            self.metrics.rate_limited.inc()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
