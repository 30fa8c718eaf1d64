"""What the CXone API returns, parsed (unknown response fields are ignored)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ACTIVE = frozenset({"QUEUED", "INITIALIZING", "RUNNING"})
"""Statuses in which the dialer is (about to be) placing calls."""


class _Api(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class LastError(_Api):
    errorCode: str
    errorMessage: str


class ApiPacing(_Api):
    callsPerMinute: int
    maxConcurrent: int


class ApiCampaign(_Api):
    id: str
    name: str
    description: str = ""
    dialerType: str
    pacing: ApiPacing
    contactListId: str
    dnc: dict[str, Any]
    schedule: dict[str, Any] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    status: str
    lastError: LastError | None = None
    version: int
    createdAt: str
    updatedAt: str

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def definition(self) -> dict[str, Any]:
        """The definition in the same normal form as ``spec.Campaign.definition``."""
        return {
            "name": self.name,
            "description": self.description,
            "dialerType": self.dialerType,
            "pacing": self.pacing.model_dump(),
            "contactListId": self.contactListId,
            "dnc": {
                "enforceNational": bool(self.dnc.get("enforceNational")),
                "enforceLocal": bool(self.dnc.get("enforceLocal")),
                "listIds": sorted(set(self.dnc.get("listIds") or [])),
            },
            "schedule": self.schedule,
            "labels": dict(self.labels),
        }


class ContactList(_Api):
    id: str
    name: str
    recordCount: int
    dncCompliant: bool
    lastValidated: str | None = None


class DncList(_Api):
    id: str
    name: str
    scope: str
    recordCount: int
    lastUpdated: str | None = None


class StatusAck(_Api):
    id: str
    status: str


class RealtimeStats(_Api):
    answerRate: float
    abandonRate: float
    activeCalls: int
    totalCalls: int


class CampaignSummary(_Api):
    totalCalls: int
    answered: int
    abandoned: int
    avgTalkTime: float
    connectRate: float
