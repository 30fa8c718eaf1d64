"""Build the one CXone client of a run, for a real tenant or the embedded sandbox."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.errors import ConfigError
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.runtime import Runtime
from reconciler.settings import Target
from reconciler.tenant import Tenant

SANDBOX_DIALER_SPEED = 60.0
"""The sandbox's simulated dialer places a minute's calls every second, so that
summaries and pacing have figures to show seconds after a demo apply."""


def sandbox_transport(target: Target) -> httpx.AsyncBaseTransport:
    """The bundled emulator, in process, persisted at the target's sandbox path."""
    from reconciler.emulator.app import build
    from reconciler.emulator.dialer import DialerModel

    if target.sandbox is None:
        raise ConfigError(f"{target.label} is a tenant, not the sandbox", hint="this is a bug; report it")
    try:
        emulator = build(str(target.sandbox), dialer=DialerModel(speed=SANDBOX_DIALER_SPEED))
    except (OSError, sqlite3.Error) as exc:
        code = getattr(exc, "sqlite_errorname", "")  # decided by SQLite's error code, not its wording
        if code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            hint = "another reconciler command (or serve) is using the sandbox: let it finish, then run again"
        elif code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            hint = "the file is damaged or not the sandbox: move it away to start the sandbox over"
        else:
            hint = "run from a writable folder, or move .reconciler/ away to start the sandbox over"
        raise ConfigError(f"cannot open the sandbox at {target.sandbox}: {exc}", hint=hint) from None
    return httpx.ASGITransport(app=emulator.app)


def resilience_config(target: Target) -> ResilienceConfig:
    """The target's rate settings over the defaults: a set rate is the start and the ceiling."""
    default = ResilienceConfig()
    if target.sandbox:  # in process there is no network to be polite to
        return dataclasses.replace(default, rate_per_second=0)
    limit = target.rate_limit
    return dataclasses.replace(
        default,
        rate_per_second=default.rate_per_second if limit is None else limit,
        rate_ceiling=limit,
        adaptive=target.adaptive,
    )


@asynccontextmanager
async def connect(
    target: Target,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    runtime: Runtime | None = None,
    config: ResilienceConfig | None = None,
) -> AsyncIterator[CxoneClient]:
    runtime = runtime or Runtime()
    if config is None:
        config = resilience_config(target)
    if transport is None and target.sandbox is not None:
        transport = sandbox_transport(target)
    auth = ClientCredentials(
        token_url=target.token_url,
        client_id=target.client_id,
        client_secret=target.client_secret,
        scope=target.scope,
        clock=runtime.monotonic,
        wall=runtime.wall,
    )
    client = CxoneClient(
        base_url=target.base_url, auth=auth, transport=transport, config=config, runtime=runtime
    )
    async with client:
        yield client


@asynccontextmanager
async def open_tenant(
    target: Target,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    runtime: Runtime | None = None,
) -> AsyncIterator[Tenant]:
    """The target as a ``Tenant`` through its provider."""
    if target.provider == "cxone-acd":
        from reconciler.providers.acd import open_acd_tenant

        async with open_acd_tenant(target, transport=transport, runtime=runtime) as acd:
            yield acd
        return
    async with connect(target, transport=transport, runtime=runtime) as client:
        yield CampaignsTenant(client)
