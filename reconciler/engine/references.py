"""Check the lists specs refer to against the tenant: each distinct id fetched once."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import aio
from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.loader import LoadedCampaign
from reconciler.tenant import Tenant

__all__ = ["check_references"]


async def check_references(tenant: Tenant, specs: Sequence[LoadedCampaign]) -> list[Diagnostic]:
    list_ids = sorted({s.campaign.spec.contactListId for s in specs})
    dnc_ids = sorted({d for s in specs for d in s.campaign.spec.dnc.listIds})
    found_lists, found_dnc = await aio.pair(
        aio.gather(*(tenant.contact_list(i) for i in list_ids)),
        aio.gather(*(tenant.dnc_list(i) for i in dnc_ids)),
    )
    lists = dict(zip(list_ids, found_lists, strict=True))
    dncs = dict(zip(dnc_ids, found_dnc, strict=True))
    found: list[Diagnostic] = []
    for loaded in specs:
        spec = loaded.campaign.spec
        cl = lists[spec.contactListId]
        where = loaded.source.locate(("spec", "contactListId"))
        if cl is None:
            problem = f"contact list {spec.contactListId} does not exist in the tenant"
            found.append(_diag(loaded, where, "error", "spec.contactListId", problem))
        elif not cl.dnc_compliant:
            problem = f"contact list {cl.id} ({cl.name}) is not DNC compliant: scrub it before dialing"
            found.append(_diag(loaded, where, "error", "spec.contactListId", problem))
        elif cl.record_count == 0:
            severity = "error" if spec.state == "running" else "warning"
            problem = f"contact list {cl.id} ({cl.name}) is empty: a running campaign would dial nothing"
            found.append(_diag(loaded, where, severity, "spec.contactListId", problem))
        for i, dnc_id in enumerate(spec.dnc.listIds):
            if dncs[dnc_id] is None:
                at = loaded.source.locate(("spec", "dnc", "listIds", i))
                problem = f"DNC list {dnc_id} does not exist in the tenant"
                found.append(_diag(loaded, at, "error", f"spec.dnc.listIds.{i}", problem))
    return sorted(found)


def _diag(
    loaded: LoadedCampaign, where: tuple[int, int], severity: str, field: str, message: str
) -> Diagnostic:
    return Diagnostic(
        loaded.path, where[0], where[1], "error" if severity == "error" else "warning", field, message
    )
