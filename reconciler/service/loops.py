"""The loops, as asyncio tasks under one supervisor: reconcile, pacing, and upkeep (lease, retention).

No loop ever ends the service because the tenant is down: a failed round is
logged (and recorded) and the next one runs on schedule. Waits use the
injected runtime, so tests drive the loops without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

from reconciler.errors import ReconcilerError
from reconciler.service.controller import Controller
from reconciler.service.cycle import reconcile
from reconciler.service.logs import log
from reconciler.service.pace import Paced, pace, paced
from reconciler.service.problems import Problem
from reconciler.service.state import LeaseHeld

__all__ = ["JITTER", "LEASE_RENEW", "RETENTION_EVERY", "Supervisor"]

JITTER = 0.2
"""The sync interval varies by +-20 % so that many services do not read the tenant in step."""
LEASE_RENEW = 10.0
RETENTION_EVERY = 3600.0
PACING_TICK = 1.0
"""The pacing loop looks for due campaigns at least this often."""


class Supervisor:
    """Starts the loops, keeps them going, stops them."""

    def __init__(
        self,
        controller: Controller,
        *,
        holder: str,
        pid: int,
        on_lease_lost: Callable[[], None] | None = None,
    ) -> None:
        self.controller = controller
        self.holder = holder
        self.pid = pid
        self.on_lease_lost = on_lease_lost or (lambda: None)
        self.tasks: list[asyncio.Task[None]] = []
        self.lateness: deque[float] = deque(maxlen=100_000)
        """How late each pacing round started after it was due (seconds)."""
        self._inflight: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self.reconcile_loop(), name="reconcile"),
            asyncio.create_task(self.pacing_loop(), name="pacing"),
            asyncio.create_task(self.upkeep_loop(), name="upkeep"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Set the controller's stop (the executor starts nothing new), then end every loop."""
        self.controller.stop.set()
        if self.controller.cycle_lock.locked():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    async with self.controller.cycle_lock:
                        pass
        for task in [*self.tasks, *self._inflight.values()]:
            task.cancel()
        await asyncio.gather(*self.tasks, *self._inflight.values(), return_exceptions=True)

    async def reconcile_loop(self) -> None:
        runtime = self.controller.runtime
        while True:
            try:
                await reconcile(self.controller)
            except Exception as bug:  # keep serving: a bug in one cycle is logged, the next one runs
                log(logging.ERROR, f"reconcile cycle crashed: {bug!r}")
            spread = 1 + JITTER * (2 * runtime.random() - 1)
            await runtime.sleep(self.controller.config.sync_interval * spread)

    async def pacing_loop(self) -> None:
        runtime = self.controller.runtime
        due: dict[str, float] = {}
        while True:
            now = runtime.monotonic()
            current = {p.name: p for p in paced(self.controller)}
            for name in [n for n in due if n not in current]:
                del due[name]
            for name, target in current.items():
                # a campaign's first round falls anywhere in its first interval: no herd at start-up
                when = due.setdefault(name, now + target.rules.interval * runtime.random())
                if when <= now and name not in self._inflight:
                    self.lateness.append(now - when)
                    interval = target.rules.interval
                    due[name] = when + interval if now - when < interval else now + interval
                    self._inflight[name] = asyncio.create_task(self._pace(target))
            upcoming = min(due.values(), default=now + PACING_TICK)
            await runtime.sleep(min(PACING_TICK, max(0.05, upcoming - now)))

    async def _pace(self, target: Paced) -> None:
        try:
            await pace(self.controller, target, dry_run=False, fresh=False)
        except Problem as skipped:
            log(logging.INFO, f"pacing skipped: {skipped.message}", campaign=target.name)
        except Exception as bug:  # a bug in one round is logged; the campaign is paced again next interval
            log(logging.ERROR, f"pacing round crashed: {bug!r}", campaign=target.name)
        finally:
            self._inflight.pop(target.name, None)

    async def upkeep_loop(self) -> None:
        controller = self.controller
        runtime = controller.runtime
        last_prune: float | None = None
        while True:
            try:
                controller.state.acquire(
                    controller.config.target, self.holder, self.pid, now=controller.now()
                )
            except LeaseHeld as lost:
                log(logging.ERROR, f"lease lost: {lost.message}; shutting down")
                self.on_lease_lost()
                return
            except ReconcilerError as error:
                log(logging.ERROR, f"cannot renew the lease: {error}")
            now = runtime.monotonic()
            if last_prune is None or now - last_prune >= RETENTION_EVERY:
                try:
                    removed = controller.state.prune(now=controller.now())
                    if removed:
                        log(logging.INFO, f"retention: removed {removed} old row(s)")
                except ReconcilerError as error:
                    log(logging.ERROR, f"retention failed: {error}")
                last_prune = now
            await runtime.sleep(LEASE_RENEW)
