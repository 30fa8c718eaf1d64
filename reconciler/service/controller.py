"""The service's one object: its settings, tenant, state, metrics and what it last read of the tenant.

The HTTP app, the loops and the operations all reach the tenant, the
state and the specs through a ``Controller``; it holds no rule of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ApiError, SpecError
from reconciler.runtime import Runtime
from reconciler.service.auth import Tokens
from reconciler.service.logs import log
from reconciler.service.metrics import Metrics
from reconciler.service.state import State
from reconciler.service.views import Snapshot, iso
from reconciler.spec.loader import LoadedCampaign, load
from reconciler.tenant import Tenant

__all__ = ["Config", "Controller"]


@dataclass(frozen=True)
class Config:
    """How ``reconciler serve`` was asked to run."""

    paths: tuple[str, ...]
    target: str
    drift: str = "warn"
    sync_interval: float = 300.0
    tokens: Tokens | None = None
    """None: --no-auth (loopback only)."""
    webhook_secret: bytes | None = None
    shutdown_grace: float = 10.0


class Controller:
    def __init__(
        self,
        config: Config,
        tenant: Tenant,
        state: State,
        *,
        runtime: Runtime | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.tenant = tenant
        self.state = state
        self.runtime = runtime or Runtime()
        self.metrics = metrics or Metrics()
        self.snapshot: Snapshot | None = None
        self.cycled = False
        """The first reconcile cycle completed."""
        self.tenant_ok: bool | None = None
        """Whether the tenant answered at the last attempt (None: not asked yet)."""
        self.draining = False
        self.stop = asyncio.Event()
        """Set on shutdown: the executor starts nothing new."""
        self.cycle_lock = asyncio.Lock()
        self.realtime: dict[str, dict[str, Any]] = {}
        """The last realtime figures seen per campaign (as the API shows them)."""
        self.realtime_seen = 0
        self.rendered: tuple[tuple[int, int, int, int], bytes] | None = None
        """GET /api/v1/campaigns as last rendered, and what it was rendered from."""
        client = getattr(tenant, "client", None)
        breaker = getattr(client, "breaker", None)
        if breaker is not None:
            self.metrics.watch_breaker(lambda: str(breaker.state) == "open")

    def now(self) -> float:
        return self.runtime.wall()

    def specs(self) -> list[LoadedCampaign]:
        """The spec files as they are now; ``SpecError`` if they do not validate."""
        result = load(list(self.config.paths))
        if not result.valid:
            raise SpecError(f"{len(result.errors)} error(s) in the spec files", result.diagnostics)
        return result.campaigns

    def event(
        self, kind: str, message: str, *, actor: str = "reconciler", campaign: str | None = None
    ) -> None:
        self.state.record(kind, message, actor=actor, at=self.now(), campaign=campaign)
        log(logging.INFO, message, campaign=campaign, kind=kind, actor=actor)

    def tenant_answered(self, ok: bool) -> None:
        if self.tenant_ok is not False and not ok:
            log(logging.WARNING, "the tenant does not answer")
        self.tenant_ok = ok

    async def read(self, specs: Sequence[LoadedCampaign] | None = None) -> Snapshot:
        """Read the tenant's campaign list (and the specs) into a new snapshot."""
        loaded = self.specs() if specs is None else specs
        try:
            live = await self.tenant.campaigns()
        except ApiError:
            self.tenant_answered(False)
            raise
        self.tenant_answered(True)
        self.snapshot = Snapshot.of([s.campaign for s in loaded], live, at=self.now())
        self.count_states()
        return self.snapshot

    async def current(self) -> Snapshot:
        """The last snapshot, or a first one read now."""
        return self.snapshot if self.snapshot is not None else await self.read()

    def count_states(self) -> None:
        if self.snapshot is None:
            return
        suspended = self.state.suspensions()
        errors = self.state.errors()
        counts: dict[str, int] = {}
        for name in self.snapshot.names():
            state = (
                "suspended"
                if name in suspended
                else "error"
                if name in errors
                else self.snapshot.drift[name].state
            )
            counts[state] = counts.get(state, 0) + 1
        self.metrics.count_states(counts)
        for name, live in self.snapshot.live.items():
            if live.owned:
                self.metrics.calls_per_minute.labels(name).set(live.definition["pacing"]["callsPerMinute"])

    def views_key(self, snapshot: Snapshot) -> tuple[int, int, int, int]:
        """Changes when anything GET /api/v1/campaigns shows may have changed."""
        return (snapshot.generation, snapshot.revision, self.state.revision, self.realtime_seen)

    def saw_realtime(self, name: str, figures: dict[str, Any]) -> None:
        self.realtime[name] = figures
        self.realtime_seen += 1

    def suspension_json(self, name: str) -> dict[str, Any] | None:
        found = self.state.suspensions().get(name)
        if found is None:
            return None
        return {"reason": found.reason, "by": found.actor, "at": iso(found.at)}
