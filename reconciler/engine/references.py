"""The lists campaigns refer to, checked against the tenant: each distinct id fetched once.

One set of rules for specs being planned and for saved plans being applied:
a contact list must exist, be DNC compliant and, for a campaign that dials,
not be empty; every DNC list must exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler import aio
from reconciler.spec.diagnostics import Diagnostic, Severity
from reconciler.spec.loader import LoadedCampaign
from reconciler.tenant import ContactListInfo, DncListInfo, Tenant

__all__ = ["Lists", "check_references", "contact_list_problem", "dnc_list_problem", "fetch_lists"]


@dataclass(frozen=True)
class Lists:
    """What the tenant holds for each referenced id (None: no such list)."""

    contact: dict[str, ContactListInfo | None]
    dnc: dict[str, DncListInfo | None]


async def fetch_lists(tenant: Tenant, contact_ids: Iterable[str], dnc_ids: Iterable[str]) -> Lists:
    contact, dnc = sorted(set(contact_ids)), sorted(set(dnc_ids))
    found_contact, found_dnc = await aio.pair(
        aio.gather(*(tenant.contact_list(i) for i in contact)),
        aio.gather(*(tenant.dnc_list(i) for i in dnc)),
    )
    return Lists(dict(zip(contact, found_contact, strict=True)), dict(zip(dnc, found_dnc, strict=True)))


def contact_list_problem(
    list_id: str, found: ContactListInfo | None, *, dials: bool
) -> tuple[Severity, str] | None:
    """What is wrong with a campaign's contact list (an empty list only matters to one that dials)."""
    if found is None:
        return "error", f"contact list {list_id} does not exist in the tenant"
    if not found.dnc_compliant:
        return (
            "error",
            f"contact list {found.id} ({found.name}) is not DNC compliant: scrub it before dialing",
        )
    if found.record_count == 0:
        problem = f"contact list {found.id} ({found.name}) is empty: a running campaign would dial nothing"
        return ("error" if dials else "warning"), problem
    return None


def dnc_list_problem(list_id: str, found: DncListInfo | None) -> str | None:
    return f"DNC list {list_id} does not exist in the tenant" if found is None else None


async def check_references(tenant: Tenant, specs: Sequence[LoadedCampaign]) -> list[Diagnostic]:
    lists = await fetch_lists(
        tenant,
        (s.campaign.spec.contactListId for s in specs),
        (d for s in specs for d in s.campaign.spec.dnc.listIds),
    )
    found: list[Diagnostic] = []
    for loaded in specs:
        spec = loaded.campaign.spec
        problem = contact_list_problem(
            spec.contactListId, lists.contact[spec.contactListId], dials=spec.state == "running"
        )
        if problem is not None:
            line, column = loaded.source.locate(("spec", "contactListId"))
            found.append(Diagnostic(loaded.path, line, column, problem[0], "spec.contactListId", problem[1]))
        for i, dnc_id in enumerate(spec.dnc.listIds):
            missing = dnc_list_problem(dnc_id, lists.dnc[dnc_id])
            if missing is not None:
                line, column = loaded.source.locate(("spec", "dnc", "listIds", i))
                found.append(Diagnostic(loaded.path, line, column, "error", f"spec.dnc.listIds.{i}", missing))
    return sorted(found)
