"""`reconciler doctor` for `provider: cxone-acd`: read-only probes of a business unit.

Besides the access key, the API host and the lists, each [I]/[U] of the research
that a GET can settle is probed here: the tenant DNC group named exists, whether
the business unit allows predictive dialing, the zone skill schedules run in, and
the reporting campaign new skills join. Only GETs are sent (and the token request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.doctor import Check, Probe, campaigns_check
from reconciler.errors import NotFound
from reconciler.providers.acd.mapping import iana_zone
from reconciler.providers.acd.wire import rows

if TYPE_CHECKING:
    from reconciler.providers.acd.tenant import AcdTenant

__all__ = ["AcdDoctor"]

_ZONE_HINT = "set CXONE_ACD_SCHEDULE_TIMEZONE (acd.scheduleTimeZone) to an IANA zone, e.g. America/New_York"


class AcdDoctor:
    """The probes of one business unit, in the order each needs the one before."""

    def __init__(self, tenant: AcdTenant) -> None:
        self.tenant = tenant
        self.client = tenant.client
        self.options = tenant.options
        self._groups: list[dict[str, Any]] | None = None

    def probes(self) -> list[Probe]:
        return [
            Probe("credentials", self.credentials, gate=True),
            Probe("api host", self.api_host, gate=True),
            Probe("api version", self.api_version, gate=True),
            Probe("campaigns", self.campaigns),
            Probe("calling lists", self.calling_lists),
            Probe("dnc groups", self.dnc_groups),
            Probe("tenant dnc group", self.tenant_dnc_group),
            Probe("predictive dialing", self.predictive),
            Probe("schedule time zone", self.schedule_zone),
            Probe("reporting campaign", self.reporting_campaign),
        ]

    async def credentials(self) -> Check:
        await self.client.authenticate()
        told = self.client.claims
        facts = [f"access key {self.options.access_key_id!r} accepted (token obtained)"]
        if told.get("tenantId"):
            facts.append(f"tenant {told['tenantId']}")
        if told.get("icBUId"):
            facts.append(f"business unit {told['icBUId']}")
        role = told.get("role") or told.get("roles")
        facts.append(f"role {role}" if role else "role not told by the token")
        return Check("credentials", "ok", "; ".join(facts))

    async def api_host(self) -> Check:
        if self.options.api_base:
            return Check("api host", "ok", f"{self.options.api_base} (configured: CXONE_API_BASE)")
        await self.client.login()  # discovers the host from the token's tenant
        tenant = self.client.claims.get("tenantId")
        return Check("api host", "ok", f"{self.client.api_base} (discovered from tenant {tenant})")

    async def api_version(self) -> Check:
        version = self.options.api_version
        try:
            unit = await self.tenant.business_unit()
        except NotFound:
            return Check(
                "api version",
                "fail",
                f"v{version} does not answer at {self.client.root} (GET /business-unit: 404)",
                "set CXONE_API_VERSION to a version the business unit serves (the default is 34.0)",
            )
        return Check(
            "api version",
            "ok",
            f"v{version} answers: business unit {unit.get('businessUnitId', '?')} read",
        )

    async def campaigns(self) -> Check:
        return campaigns_check(await self.tenant.campaigns(), "Personal Connection skill")

    async def calling_lists(self) -> Check:
        found = await self.client.all("/lists/call-lists", "callingLists", "calling list")
        return Check("calling lists", "ok", f"{len(found)} calling list(s) readable")

    async def _read_groups(self) -> list[dict[str, Any]]:
        if self._groups is None:
            body = await self.client.get("/dnc-groups", "DNC groups")
            self._groups = [
                g
                for g in rows(body, "dncGroups", "DNC groups")
                if g.get("isActive", True) and not g.get("isRemoved")
            ]
        return self._groups

    async def dnc_groups(self) -> Check:
        groups = await self._read_groups()
        return Check("dnc groups", "ok", f"{len(groups)} active DNC group(s) readable")

    async def tenant_dnc_group(self) -> Check:
        groups = await self._read_groups()
        names = [str(g.get("dncGroupName")) for g in groups]
        # which group is the tenant's is [U]: the API does not say, so list the candidates
        listed = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
        suggestion = f": one of {listed}; ask the CXone administrator which" if names else ""
        wanted = self.options.tenant_dnc_group
        if wanted is None:
            return Check(
                "tenant dnc group",
                "warn",
                "not configured: specs that set dnc.enforceLocal are refused",
                f"set CXONE_ACD_TENANT_DNC_GROUP (acd.tenantDncGroup) to the tenant's group{suggestion}",
            )
        if wanted not in names:
            return Check(
                "tenant dnc group",
                "fail",
                f"{wanted!r} is not an active DNC group of the business unit",
                f"name the tenant's group in CXONE_ACD_TENANT_DNC_GROUP{suggestion}",
            )
        return Check("tenant dnc group", "ok", f"{wanted!r} exists")

    async def predictive(self) -> Check:
        allowed = (await self.tenant.business_unit()).get("allowPredictiveDialing")
        if allowed is True:
            return Check("predictive dialing", "ok", "allowed by the business unit (allowPredictiveDialing)")
        if allowed is False:
            return Check(
                "predictive dialing",
                "warn",
                "not allowed by the business unit: PREDICTIVE specs are refused",
                "write dialerType: PROGRESSIVE, or ask NICE to enable predictive dialing",
            )
        return Check(
            "predictive dialing",
            "warn",
            "the business unit does not say (no allowPredictiveDialing)",
            "PREDICTIVE specs are sent as asked; check the mode in the skill's page after apply",
        )

    async def schedule_zone(self) -> Check:
        configured = self.options.schedule_time_zone
        if configured:
            if iana_zone(configured) is None:
                unknown = f"{configured!r} is not an IANA zone this machine knows"
                return Check("schedule time zone", "fail", unknown, _ZONE_HINT)
            configured_zone = f"{configured} (configured: CXONE_ACD_SCHEDULE_TIMEZONE)"
            return Check("schedule time zone", "ok", configured_zone)
        default = str((await self.tenant.business_unit()).get("defaultTimeZone") or "")
        if iana_zone(default) is None:
            return Check(
                "schedule time zone",
                "warn",
                f"the business unit's defaultTimeZone {default!r} is not an IANA zone: schedules are refused",
                _ZONE_HINT,
            )
        return Check("schedule time zone", "ok", f"{default} (the business unit's defaultTimeZone)")

    async def reporting_campaign(self) -> Check:
        name = self.options.campaign
        found = await self.client.all("/campaigns", "campaigns", "campaign", {"searchString": name})
        if any((c.get("name") or c.get("campaignName")) == name for c in found):
            return Check("reporting campaign", "ok", f"{name!r} exists")
        if self.options.create_campaign:
            return Check(
                "reporting campaign",
                "warn",
                f"{name!r} does not exist: the first apply that creates a skill creates it",
                "name an existing campaign in CXONE_ACD_CAMPAIGN (acd.campaign) to avoid that",
            )
        return Check(
            "reporting campaign",
            "fail",
            f"{name!r} does not exist, and it is not created for you",
            "create it in CXone, or name an existing one in CXONE_ACD_CAMPAIGN",
        )
