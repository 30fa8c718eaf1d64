"""Run the service: the lease, open the tenant, serve HTTP with uvicorn, run the loops, shut down gracefully.

SIGTERM or SIGINT: new operation requests get 503, running operations may
finish for up to ``Config.shutdown_grace`` seconds (what is left is saved
``failed``, "interrupted by shutdown"), the loops stop, the lease is
released and the state closed; the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, suppress
from types import FrameType

import httpx
import uvicorn

from reconciler.errors import ConfigError
from reconciler.runtime import Runtime
from reconciler.service.app import build_app
from reconciler.service.controller import Config, Controller
from reconciler.service.logs import log
from reconciler.service.loops import Supervisor
from reconciler.service.metrics import Metrics, MetricsTransport
from reconciler.service.operations import Operations
from reconciler.service.state import State
from reconciler.tenant import Tenant

__all__ = ["Opener", "run"]

Wrap = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
Opener = Callable[[Wrap], AbstractAsyncContextManager[Tenant]]
"""Opens the target's tenant with the given wrapper around its HTTP transport (for metrics)."""


class _Server(uvicorn.Server):
    """uvicorn, but a signal starts our shutdown instead of uvicorn's (and is not re-raised after)."""

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_signal = on_signal

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit or self.force_exit:
            self.force_exit = True
            return
        self._on_signal()


async def run(
    config: Config,
    *,
    state_path: str,
    opener: Opener,
    host: str,
    port: int,
    runtime: Runtime | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve until a signal; raises ``LeaseHeld`` (exit 3) or ``StateError`` (exit 1) before serving."""
    runtime = runtime or Runtime()
    state = State(state_path)
    holder, pid = uuid.uuid4().hex, os.getpid()
    try:
        state.acquire(config.target, holder, pid, now=runtime.wall())
        metrics = Metrics()
        async with opener(lambda inner: MetricsTransport(inner, metrics)) as tenant:
            controller = Controller(config, tenant, state, runtime=runtime, metrics=metrics)
            await _serve(controller, host=host, port=port, holder=holder, pid=pid, announce=announce)
        state.release(config.target, holder)
    finally:
        state.close()


async def _serve(
    controller: Controller, *, host: str, port: int, holder: str, pid: int, announce: Callable[[str], None]
) -> None:
    loop = asyncio.get_running_loop()
    shutdown = asyncio.Event()

    def signalled() -> None:
        loop.call_soon_threadsafe(shutdown.set)

    operations = Operations(controller)
    app = build_app(controller, operations)
    server = _Server(
        uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning", access_log=False),
        on_signal=signalled,
    )
    supervisor = Supervisor(controller, holder=holder, pid=pid, on_lease_lost=signalled)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        with suppress(SystemExit, OSError):
            serving.result()
        raise ConfigError(f"cannot listen on {host}:{port}", hint="is another process using that port?")
    supervisor.start()
    auth = "no auth (loopback)" if controller.config.tokens is None else "bearer tokens"
    announce(f"Serving {controller.config.target} on http://{host}:{port} ({auth}); Ctrl-C stops")
    log(logging.INFO, f"serving on http://{host}:{port}", drift=controller.config.drift)
    waiter = asyncio.create_task(shutdown.wait())
    await asyncio.wait([serving, waiter], return_when=asyncio.FIRST_COMPLETED)
    log(logging.INFO, "shutting down: no new operations; letting running ones finish")
    controller.draining = True
    await operations.drain(controller.config.shutdown_grace)
    await supervisor.stop()
    server.should_exit = True
    await serving
    waiter.cancel()
    log(logging.INFO, "stopped")
