"""Campaigns as the API shows them: camelCase fields, ISO timestamps, lastError only in ERROR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.emulator.records import Row


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def campaign_view(row: Row, status: str) -> dict[str, Any]:
    """The Campaign object of the contract, for ``row`` in ``status``."""
    d = row.definition
    return {
        "id": row.id,
        "name": row.name,
        "description": d.get("description", ""),
        "dialerType": d["dialerType"],
        "pacing": d["pacing"],
        "contactListId": d["contactListId"],
        "dnc": d["dnc"],
        "schedule": d.get("schedule"),
        "labels": d.get("labels", {}),
        "status": status,
        "lastError": row.failure if status == "ERROR" else None,
        "version": row.version,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }
