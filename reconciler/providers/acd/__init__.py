"""`provider: cxone-acd`: real CXone business units through the Admin (ACD) API v34.

``open_acd_tenant`` is the one entry point: settings in, a ``Tenant`` out,
the HTTP client closed on the way out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from reconciler.cxone.resilience import ResilienceConfig
from reconciler.providers.acd.client import AcdClient
from reconciler.providers.acd.options import AcdOptions, from_env
from reconciler.providers.acd.tenant import AcdTenant
from reconciler.runtime import Runtime

__all__ = ["AcdOptions", "AcdTenant", "from_env", "open_acd_tenant", "options_for", "sandbox_options"]

SANDBOX_BASE = "http://acd-sandbox.invalid"


def sandbox_options() -> AcdOptions:
    """Options for the in-process ACD emulator (its published demo access key)."""
    from pydantic import SecretStr

    return AcdOptions(
        access_key_id="demo",
        access_key_secret=SecretStr("demo-secret"),
        auth_base=SANDBOX_BASE,
        rate_limit=0,
        tenant_dnc_group="Tenant-DNC",
        resolve_delay=0.5,
    )


def options_for(settings: AcdOptions | Mapping[str, str] | Any) -> AcdOptions:
    """``AcdOptions`` as given, from an environment mapping, or for a sandbox target (``.sandbox`` set)."""
    if isinstance(settings, AcdOptions):
        return settings
    if isinstance(settings, Mapping):
        return from_env(settings)
    if getattr(settings, "sandbox", None) is not None:
        return sandbox_options()
    provided = getattr(settings, "provider_env", None)
    if isinstance(provided, Mapping):  # a Target: the settings it was built from, never the ambient ones
        return from_env(provided)
    return from_env()


@asynccontextmanager
async def open_acd_tenant(
    settings: AcdOptions | Mapping[str, str] | Any,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    runtime: Runtime | None = None,
) -> AsyncIterator[AcdTenant]:
    """The business unit as a ``Tenant``.

    ``settings``: ``AcdOptions``, an environment mapping (``CXONE_ACCESS_KEY_*``,
    ``CXONE_ACD_*``), or a ``settings.Target``: a sandbox target gets the ACD
    emulator in process (at ``<sandbox>-acd.db``), any other the settings it was built from.
    """
    options = options_for(settings)
    sandbox: Path | None = getattr(settings, "sandbox", None)
    if transport is None and sandbox is not None:
        from reconciler.emulator.acd import Quirks, build_acd

        # the quirks stay on, shortened so that a demo on real time does not crawl
        quirks = Quirks(list_lag=1.0, run_delay=1.0)
        path = str(sandbox.with_name(sandbox.stem + "-acd.db"))
        emulator = build_acd(path, base_url=SANDBOX_BASE, quirks=quirks)
        transport = httpx.ASGITransport(app=emulator.app)
    config = dataclasses.replace(ResilienceConfig(), rate_per_second=options.rate_limit)
    async with AcdClient(options, transport=transport, runtime=runtime, config=config) as client:
        yield AcdTenant(client, options)
