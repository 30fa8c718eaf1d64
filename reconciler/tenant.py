"""The tenant interface: what the engine, the pacer and the summary may ask of a live tenant.

Every remote API (a provider) implements ``Tenant`` with its own wire
format, pagination, concurrency tokens and idempotency headers; nothing
above this module knows about any of them. The values here are the
providers' common language: campaigns in the spec's normal form, statuses
and actions as enums, figures as plain numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from reconciler.spec.models import MANAGED_BY_KEY, MANAGED_BY_VALUE

__all__ = [
    "ACTIVE",
    "SETTLED",
    "Action",
    "CampaignFault",
    "ContactListInfo",
    "DncListInfo",
    "FieldChange",
    "LiveCampaign",
    "Realtime",
    "Statistics",
    "Status",
    "Tenant",
    "Traffic",
    "nest",
]


class Status(StrEnum):
    """Where a campaign is in its lifecycle."""

    QUEUED = "QUEUED"
    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"


ACTIVE = frozenset({Status.QUEUED, Status.INITIALIZING, Status.RUNNING})
"""Statuses in which the dialer is (about to be) placing calls."""
SETTLED = frozenset({Status.STOPPED, Status.ERROR, Status.COMPLETED})
"""Statuses in which the dialer places no call and nothing is in transition."""


class Action(StrEnum):
    """What a plan does to one campaign; the members are in the order they run."""

    CREATE = "create"
    ADOPT = "adopt"
    STOP = "stop"
    UPDATE = "update"
    START = "start"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldChange:
    """One field of a campaign definition, by dotted path, before and after."""

    path: str
    before: Any
    after: Any

    @property
    def top(self) -> str:
        return self.path.split(".", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


def nest(values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Dotted paths and their values as nested mappings (the inverse of flattening a definition).

    Label keys are free text and may hold dots: under ``labels`` only the first dot separates.
    """
    nested: dict[str, Any] = {}
    for path, value in values:
        *parents, leaf = path.split(".", 1) if path.startswith("labels.") else path.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


@dataclass(frozen=True)
class CampaignFault:
    """Why a campaign is in ERROR, as the tenant tells it."""

    code: str
    message: str


@dataclass(frozen=True)
class LiveCampaign:
    """A campaign as the tenant holds it now.

    ``definition`` has the normal form of ``spec.Campaign.definition()``
    (name, description, dialerType, pacing, contactListId, dnc, schedule,
    labels), so both sides compare field by field. ``revision`` is the
    tenant's concurrency token: a change sent with an old one is refused.
    """

    id: str
    name: str
    status: Status
    revision: int
    definition: Mapping[str, Any]
    last_error: CampaignFault | None = None
    updated_at: float | None = None
    """When the definition last changed (epoch seconds), if the tenant says."""

    @property
    def labels(self) -> Mapping[str, str]:
        labels: Mapping[str, str] = self.definition.get("labels") or {}
        return labels

    @property
    def owned(self) -> bool:
        return self.labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class ContactListInfo:
    id: str
    name: str
    record_count: int
    dnc_compliant: bool


@dataclass(frozen=True)
class DncListInfo:
    id: str
    name: str


@dataclass(frozen=True)
class Realtime:
    """What a running campaign is doing now."""

    answer_rate: float
    abandon_rate: float
    active_calls: int
    total_calls: int


@dataclass(frozen=True)
class Statistics:
    """A campaign's figures since it was created."""

    total_calls: int
    answered: int
    abandoned: int
    avg_talk_time: float
    connect_rate: float


@dataclass
class Traffic:
    """What a run cost the tenant: requests sent by method, and rate-limit answers."""

    sent: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0

    @property
    def requests(self) -> int:
        return sum(self.sent.values())


class Tenant(Protocol):
    """A live tenant. Every method may raise an ``ApiError`` of the error tree."""

    @property
    def traffic(self) -> Traffic: ...

    def list_cost(self, campaigns: int) -> int:
        """Requests one read of the whole campaign list costs when the tenant holds ``campaigns``."""
        ...

    async def campaigns(self) -> list[LiveCampaign]:
        """Every campaign of the tenant, owned or not."""
        ...

    async def campaign(self, campaign_id: str) -> LiveCampaign:
        """One campaign; ``NotFound`` if it does not exist."""
        ...

    async def create(self, name: str, fields: Sequence[FieldChange], *, attempt: str) -> LiveCampaign:
        """Create a STOPPED campaign with these fields.

        ``attempt`` names one attempt at one change: a create re-sent with the
        same attempt (after a lost response) never makes a second campaign, and
        a new attempt is never answered with an earlier one's campaign.
        """
        ...

    async def update(self, campaign_id: str, fields: Sequence[FieldChange], *, revision: int) -> LiveCampaign:
        """Set these fields; ``PreconditionFailed`` if the campaign is no longer at ``revision``."""
        ...

    async def delete(self, campaign_id: str, *, revision: int) -> None: ...

    async def start(self, campaign_id: str) -> None:
        """Ask the dialer to start; the start completes asynchronously (poll ``campaign``)."""
        ...

    async def stop(self, campaign_id: str) -> None:
        """Ask the dialer to stop; the stop completes asynchronously (poll ``campaign``)."""
        ...

    async def realtime(self, campaign_id: str) -> Realtime: ...

    async def statistics(self, campaign_id: str) -> Statistics: ...

    async def contact_list(self, list_id: str) -> ContactListInfo | None:
        """The contact list, or None if the tenant has none of that id."""
        ...

    async def dnc_list(self, list_id: str) -> DncListInfo | None:
        """The DNC list, or None if the tenant has none of that id."""
        ...
