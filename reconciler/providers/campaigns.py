"""`provider: cxone-campaigns`: the Campaigns API of cxone-api.yaml as a ``Tenant``.

The only code that knows this API's shapes above the HTTP client: merge-patch
bodies, ``If-Match`` versions, page sizes, status names and the format of
``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from reconciler.cxone.client import PAGE_SIZE, CxoneClient
from reconciler.cxone.models import ApiCampaign
from reconciler.doctor import Check, Probe, campaigns_check
from reconciler.errors import ApiError, NotFound
from reconciler.tenant import (
    CampaignFault,
    ContactListInfo,
    DncListInfo,
    FieldChange,
    LiveCampaign,
    Realtime,
    Statistics,
    Status,
    Traffic,
    nest,
)

__all__ = ["SCOPE_USES", "CampaignsTenant", "idempotency_key", "live", "merge_patch"]

SCOPE_USES = {
    "campaign:read": "every command",
    "campaign:write": "apply and pace",
    "contactlist:read": "plan's reference checks",
    "dnc:read": "plan's reference checks",
    "statistics:read": "summary and pace",
}
"""Every scope of the Campaigns API and what needs it (``doctor`` warns about the missing ones)."""


def merge_patch(fields: Iterable[FieldChange]) -> dict[str, Any]:
    """Dotted paths and their new values as a nested JSON merge patch (RFC 7396)."""
    return nest((f.path, f.after) for f in fields)


def idempotency_key(attempt: str) -> str:
    """The header value for one attempt: short, opaque, and the same on every re-send."""
    return "cxr-" + hashlib.sha256(attempt.encode()).hexdigest()[:40]


def _epoch(stamp: str) -> float | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def live(campaign: ApiCampaign) -> LiveCampaign:
    try:
        status = Status(campaign.status)
    except ValueError:
        raise ApiError(
            f"campaign {campaign.id} has a status this tool does not know: {campaign.status!r}",
            hint="is CXONE_API_BASE the CXone Campaigns API? rerun with -v to trace",
        ) from None
    error = campaign.lastError
    return LiveCampaign(
        id=campaign.id,
        name=campaign.name,
        status=status,
        revision=campaign.version,
        definition=campaign.definition(),
        last_error=CampaignFault(error.errorCode, error.errorMessage) if error else None,
        updated_at=_epoch(campaign.updatedAt),
    )


class CampaignsTenant:
    """A tenant reached through ``CxoneClient``."""

    def __init__(self, client: CxoneClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"CampaignsTenant({self.client!r})"

    @property
    def traffic(self) -> Traffic:
        return Traffic(sent=dict(self.client.sent), rate_limited=self.client.rate_limited)

    def list_cost(self, campaigns: int) -> int:
        return max(1, -(-campaigns // PAGE_SIZE))

    async def campaigns(self) -> list[LiveCampaign]:
        return [live(c) for c in await self.client.list_campaigns()]

    async def campaign(self, campaign_id: str) -> LiveCampaign:
        return live(await self.client.get_campaign(campaign_id))

    async def create(self, name: str, fields: Sequence[FieldChange], *, attempt: str) -> LiveCampaign:
        body = {"name": name, **merge_patch(fields)}
        created = await self.client.create_campaign(body, idempotency_key=idempotency_key(attempt))
        # The API answers a re-sent key with its first answer for 24 h: make sure that
        # answer is this campaign, alive, and not an echo of one deleted since.
        try:
            current = await self.client.get_campaign(created.id)
        except NotFound:
            raise ApiError(
                f"the API answered the create of {name} with campaign {created.id}, which does not exist",
                hint="a replayed answer to an earlier create; run apply again to create it anew",
            ) from None
        if current.name != name:
            raise ApiError(
                f"the API answered the create of {name} with campaign {created.id} named {current.name}",
                hint="a replayed answer to another create; run plan again",
            )
        return live(current)

    async def update(self, campaign_id: str, fields: Sequence[FieldChange], *, revision: int) -> LiveCampaign:
        patch = merge_patch(fields)
        return live(await self.client.update_campaign(campaign_id, patch, version=revision))

    async def delete(self, campaign_id: str, *, revision: int) -> None:
        await self.client.delete_campaign(campaign_id, version=revision)

    async def start(self, campaign_id: str) -> None:
        await self.client.start_campaign(campaign_id)

    async def stop(self, campaign_id: str) -> None:
        await self.client.stop_campaign(campaign_id)

    async def realtime(self, campaign_id: str) -> Realtime:
        r = await self.client.realtime(campaign_id)
        return Realtime(r.answerRate, r.abandonRate, r.activeCalls, r.totalCalls)

    async def statistics(self, campaign_id: str) -> Statistics:
        s = await self.client.statistics(campaign_id)
        return Statistics(s.totalCalls, s.answered, s.abandoned, s.avgTalkTime, s.connectRate)

    async def contact_list(self, list_id: str) -> ContactListInfo | None:
        try:
            found = await self.client.get_contact_list(list_id)
        except NotFound:
            return None
        return ContactListInfo(found.id, found.name, found.recordCount, found.dncCompliant)

    async def dnc_list(self, list_id: str) -> DncListInfo | None:
        try:
            found = await self.client.get_dnc_list(list_id)
        except NotFound:
            return None
        return DncListInfo(found.id, found.name)

    # doctor: read-only probes

    def doctor_probes(self) -> list[Probe]:
        return [
            Probe("credentials", self._probe_credentials, gate=True),
            Probe("api", self._probe_api, gate=True),
            Probe("campaigns", self._probe_campaigns),
            Probe("contact lists", self._probe_contact_lists),
            Probe("dnc lists", self._probe_dnc_lists),
        ]

    async def _probe_credentials(self) -> Check:
        auth = self.client.auth
        await auth.ensure()
        granted = auth.granted_scope
        if granted is None:
            untold = f"token obtained for client id {auth.client_id!r} (scopes not told)"
            return Check("credentials", "ok", untold)
        scopes = set(granted.split())
        missing = [s for s in SCOPE_USES if s not in scopes]
        detail = f"token obtained for client id {auth.client_id!r}; scopes: {granted or 'none'}"
        if not missing:
            return Check("credentials", "ok", detail)
        uses = "; ".join(f"{s} ({SCOPE_USES[s]})" for s in missing)
        return Check(
            "credentials",
            "warn",
            f"{detail}; missing {uses}",
            "fine for read-only credentials (plan, drift); otherwise grant the scopes and set CXONE_SCOPE",
        )

    async def _probe_api(self) -> Check:
        status = await self.client.probe()
        return Check("api", "ok", f"{self.client.base} answers GET /api/campaigns ({status})")

    async def _probe_campaigns(self) -> Check:
        return campaigns_check(await self.campaigns())

    async def _probe_contact_lists(self) -> Check:
        found = await self.client.list_contact_lists()
        return Check("contact lists", "ok", f"{len(found)} contact list(s) readable")

    async def _probe_dnc_lists(self) -> Check:
        found = await self.client.list_dnc_lists()
        return Check("dnc lists", "ok", f"{len(found)} DNC list(s) readable")
