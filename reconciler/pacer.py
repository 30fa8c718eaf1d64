"""Run adaptive pacing against the tenant: one round, or watch until stopped.

Reads each owned RUNNING campaign's realtime figures concurrently, decides
with ``pacing.decide`` and PATCHes (with If-Match) only what changes. A
campaign whose figures cannot be read, or whose PATCH fails, is left as it
is and its result carries the error; the other campaigns are paced regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler import aio
from reconciler.errors import ApiError, NotFound, PreconditionFailed
from reconciler.pacing import KNOB_PATHS, PaceResult, Skipped, decide
from reconciler.runtime import Runtime
from reconciler.spec.models import AdaptivePacing, Campaign
from reconciler.tenant import FieldChange, LiveCampaign, Status, Tenant

__all__ = ["Paced", "Report", "knobs", "pace_one", "pace_round", "select", "watch"]

Report = Callable[[PaceResult | Skipped], None]


@dataclass(frozen=True)
class Paced:
    """A spec with adaptive pacing and the live campaign it governs."""

    rules: AdaptivePacing
    campaign: LiveCampaign


def select(specs: Sequence[Campaign], live: Sequence[LiveCampaign]) -> list[Paced]:
    """Owned RUNNING campaigns whose spec declares adaptive pacing."""
    by_name = {c.name: c for c in live if c.owned}
    return [
        Paced(spec.spec.adaptivePacing, by_name[spec.name])
        for spec in specs
        if spec.spec.adaptivePacing is not None
        and spec.name in by_name
        and by_name[spec.name].status == Status.RUNNING
    ]


def knobs(campaign: LiveCampaign) -> dict[str, int]:
    """The pacing a live campaign has now: calls per minute and concurrency, or (ACD) its maximumRatio."""
    acd = campaign.definition.get("acd")
    if acd is not None:
        return {"maximumRatio": int(acd.get("maximumRatio") or 1)}
    return {k: int(v) for k, v in campaign.definition["pacing"].items()}


async def pace_one(tenant: Tenant, paced: Paced, *, dry_run: bool, now: Callable[[], float]) -> PaceResult:
    campaign = paced.campaign
    current = knobs(campaign)

    def result(after: dict[str, int], reason: str, applied: bool, error: str | None = None) -> PaceResult:
        return PaceResult(campaign.name, campaign.id, current, after, reason, applied, error)

    try:
        stats = await tenant.realtime(campaign.id)
    except ApiError as error:
        return result(current, f"left alone: realtime unavailable ({error})", False, f"realtime: {error}")
    decision = decide(paced.rules, stats, current, now=now(), last_change_at=campaign.updated_at)
    changed = decision.changes(current)
    if not changed or dry_run:
        return result(decision.pacing, decision.reason + (" (dry run)" if changed else ""), False)
    try:
        write = getattr(tenant, "pace", None)  # a provider's own pacing write, when it has one
        if write is not None:
            await write(campaign.id, changed, revision=campaign.revision)
        else:
            fields = [FieldChange(KNOB_PATHS[key], current.get(key), value) for key, value in changed.items()]
            await tenant.update(campaign.id, fields, revision=campaign.revision)
    except PreconditionFailed:
        why = "the campaign changed meanwhile, next round decides again"
        return result(decision.pacing, f"{decision.reason}; not applied: {why}", False, f"PATCH: {why}")
    except ApiError as error:
        return result(decision.pacing, f"{decision.reason}; not applied: {error}", False, f"PATCH: {error}")
    return result(decision.pacing, decision.reason, True)


async def pace_round(
    tenant: Tenant, specs: Sequence[Campaign], *, dry_run: bool, now: Callable[[], float]
) -> list[PaceResult]:
    paced = select(specs, await tenant.campaigns())
    return await aio.gather(*(pace_one(tenant, p, dry_run=dry_run, now=now) for p in paced))


async def watch(
    tenant: Tenant,
    specs: Sequence[Campaign],
    *,
    dry_run: bool,
    runtime: Runtime,
    report: Report,
    stop: asyncio.Event,
    rounds: int | None = None,
) -> None:
    """Each adaptive campaign on its own interval (plus up to 10 % jitter) until stopped.

    Nothing here ends the watch but ``stop``: an API outage, even at start-up,
    is reported and retried on the next round.
    """
    now = runtime.wall
    directory = _Directory(tenant, runtime)

    async def follow(spec: Campaign) -> None:
        rules = spec.spec.adaptivePacing
        if rules is None:
            return  # only specs with adaptive pacing are followed
        done = 0
        while not stop.is_set():
            report(await watch_round(spec))
            done += 1
            if rounds is not None and done >= rounds:
                return
            delay = rules.interval * (1 + 0.1 * runtime.random())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def watch_round(spec: Campaign) -> PaceResult | Skipped:
        try:
            campaign_id = await directory.find(spec.name)
            if campaign_id is None:
                return Skipped(spec.name, "no managed campaign of that name; apply first")
            campaign = await tenant.campaign(campaign_id)
        except NotFound:
            directory.forget(spec.name)
            return Skipped(spec.name, "the campaign is gone; looking it up again next round")
        except ApiError as error:
            return Skipped(spec.name, f"API error, retrying next round: {error}")
        paced = select([spec], [campaign])
        if not paced:
            return Skipped(spec.name, f"not running ({campaign.status})")
        return await pace_one(tenant, paced[0], dry_run=dry_run, now=now)

    await aio.gather(*(follow(s) for s in specs if s.spec.adaptivePacing is not None))


class _Directory:
    """Campaign ids by name, from list reads shared by every follower.

    A name not found is looked up again at most every ``REFRESH`` seconds.
    """

    REFRESH = 30.0

    def __init__(self, tenant: Tenant, runtime: Runtime) -> None:
        self._tenant = tenant
        self._runtime = runtime
        self._ids: dict[str, str] = {}
        self._listed_at: float | None = None
        self._lock = asyncio.Lock()

    async def find(self, name: str) -> str | None:
        async with self._lock:
            now = self._runtime.monotonic()
            stale = self._listed_at is None or now - self._listed_at >= self.REFRESH
            if name not in self._ids and stale:
                live = await self._tenant.campaigns()
                self._ids = {c.name: c.id for c in live if c.owned}
                self._listed_at = now
            return self._ids.get(name)

    def forget(self, name: str) -> None:
        self._ids.pop(name, None)
        self._listed_at = None
