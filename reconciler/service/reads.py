"""What the service shows, as data: the one source of the control API's reads and the dashboard's pages.

Each function reads the controller (its last snapshot of the tenant) and the
state file (suspensions, errors, samples, decisions, events) and returns the
JSON the control API answers with; the dashboard renders the same dicts.
"""

from __future__ import annotations

from typing import Any

from reconciler.service.controller import Controller
from reconciler.service.problems import Problem
from reconciler.service.views import campaign_json, iso
from reconciler.spec.types import format_duration

__all__ = ["campaign_rows", "campaign_view", "event_rows", "history_view", "status_view"]


def status_view(controller: Controller) -> dict[str, Any]:
    """GET /api/v1/status."""
    config = controller.config
    last = controller.state.last_cycle()
    cycle = None
    if last is not None:
        cycle = {
            "startedAt": iso(last.started_at),
            "finishedAt": iso(last.finished_at),
            "outcome": last.outcome or "failed",
            "error": last.error,
        }
        if last.outcome is None:
            del cycle["outcome"]
    return {
        "target": config.target,
        "drift": config.drift,
        "syncInterval": format_duration(config.sync_interval),
        "lastCycle": cycle,
    }


async def campaign_rows(controller: Controller) -> list[dict[str, Any]]:
    """GET /api/v1/campaigns: every campaign as ``campaign_json`` shows it."""
    snapshot = await controller.current()
    suspensions = {n: controller.suspension_json(n) for n in controller.state.suspensions()}
    errors = controller.state.errors()
    return [
        campaign_json(
            name,
            snapshot,
            suspension=suspensions.get(name),
            error=errors[name][0] if name in errors else None,
            realtime=controller.realtime.get(name),
        )
        for name in snapshot.names()
    ]


async def campaign_view(controller: Controller, name: str) -> dict[str, Any]:
    """GET /api/v1/campaigns/{name}; a 404 ``Problem`` for a name the service does not know."""
    snapshot = await controller.current()
    if not snapshot.known(name):
        raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")
    errors = controller.state.errors()
    return campaign_json(
        name,
        snapshot,
        suspension=controller.suspension_json(name),
        error=errors[name][0] if name in errors else None,
        realtime=controller.realtime.get(name),
    )


async def history_view(controller: Controller, name: str, *, since: float) -> dict[str, Any]:
    """GET /api/v1/campaigns/{name}/history: pacing samples and decisions since ``since`` (epoch)."""
    snapshot = await controller.current()
    if not snapshot.known(name):
        raise Problem(404, "SPEC_NOT_FOUND", f"no spec declares a campaign named {name!r}")
    samples = controller.state.samples(name, since=since)
    for sample in samples:
        sample["at"] = iso(sample["at"])
    decisions = [entry for _, entry in controller.state.decisions(name, since=since)]
    return {"samples": samples, "decisions": decisions}


def event_rows(
    controller: Controller, *, since: int | None, limit: int, campaign: str | None = None
) -> list[dict[str, Any]]:
    """GET /api/v1/events (and one campaign's, for its page)."""
    found = controller.state.events(since=since, limit=limit, campaign=campaign)
    return [
        {
            "id": e.id,
            "at": iso(e.at),
            "kind": e.kind,
            "campaign": e.campaign,
            "message": e.message,
            "actor": e.actor,
        }
        for e in found
    ]
