"""Helpers of the ACD tests: the ACD emulator in process, on fake time, behind its contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from reconciler.emulator.acd import AcdEmulator, Quirks, build_acd
from reconciler.providers.acd import AcdOptions, AcdTenant, open_acd_tenant
from reconciler.spec.models import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.contract import AcdContractTransport
from tests.fakes import FakeTime

BASE = "http://acd.test"
WEEK = [{"days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "start": "09:00", "end": "20:00"}]


def options(**overrides: Any) -> AcdOptions:
    settings: dict[str, Any] = {
        "access_key_id": "demo",
        "access_key_secret": SecretStr("demo-secret"),
        "auth_base": BASE,
        "rate_limit": 0,
        "tenant_dnc_group": "Tenant-DNC",
    }
    return AcdOptions(**(settings | overrides))


def emulator(clock: FakeTime, quirks: Quirks | None = None, **kwargs: Any) -> AcdEmulator:
    return build_acd(":memory:", clock=clock.wall, quirks=quirks or Quirks.all(), **kwargs)


@asynccontextmanager
async def tenant_for(emu: AcdEmulator, clock: FakeTime, **overrides: Any) -> AsyncIterator[AcdTenant]:
    transport = AcdContractTransport(httpx.ASGITransport(app=emu.app))
    async with open_acd_tenant(options(**overrides), transport=transport, runtime=clock.runtime) as tenant:
        yield tenant
    assert transport.checked > 0


def definition(name: str, **overrides: Any) -> dict[str, Any]:
    """A desired definition in the normal form, as the ACD provider can honour it."""
    base: dict[str, Any] = {
        "name": name,
        "description": "outbound renewals",
        "dialerType": "PROGRESSIVE",
        "pacing": {"callsPerMinute": None, "maxConcurrent": None},
        "contactListId": "Enterprise-Q3",
        "dnc": {"enforceNational": False, "enforceLocal": True, "listIds": ["Internal-Opt-Outs"]},
        "schedule": {"timeZone": "America/New_York", "windows": WEEK},
        "labels": {"team": "sales", MANAGED_BY_KEY: MANAGED_BY_VALUE},
    }
    return base | overrides
