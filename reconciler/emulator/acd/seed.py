"""The ACD emulator's seed: a business unit, a reporting campaign, calling lists and DNC groups."""

from __future__ import annotations

from typing import Any

from reconciler.emulator.acd.state import State

__all__ = ["TENANT_ID", "seed"]

TENANT_ID = "11eb0f6a-0000-4000-8000-00000000acd1"
BUSINESS_UNIT = 4600001


def _records(prefix: str, n: int) -> list[dict[str, Any]]:
    return [
        {"externalId": f"{prefix}-{i:04d}", "phoneNumber": f"2025550{i:03d}", "firstName": f"Contact{i}"}
        for i in range(1, n + 1)
    ]


def seed(state: State, *, default_time_zone: str, allow_predictive: bool) -> None:
    """Reference data of a fresh business unit (only when the state is new)."""
    state.put(
        "business_unit",
        BUSINESS_UNIT,
        {
            "businessUnitId": BUSINESS_UNIT,
            "tenantId": TENANT_ID,
            "defaultTimeZone": default_time_zone,
            "timeZones": [
                {
                    "displayName": "(UTC-05:00) Eastern Time (US & Canada)",
                    "standardName": "Eastern Standard Time",
                },
                {
                    "displayName": "(UTC-06:00) Central Time (US & Canada)",
                    "standardName": "Central Standard Time",
                },
                {
                    "displayName": "(UTC-08:00) Pacific Time (US & Canada)",
                    "standardName": "Pacific Standard Time",
                },
            ],
            "allowPredictiveDialing": allow_predictive,
            "enableSkillAbandonRate": True,
            "abandonRateScope": 1,
            "callSuppression": False,
            "outboundPortLimit": 100,
            "concurrentPortLimit": 100,
        },
    )
    campaign = state.next_id("campaign")
    state.put(
        "campaign", campaign, {"id": campaign, "name": "Default Campaign", "isActive": True, "notes": ""}
    )
    for name, prefix, size in (
        ("Enterprise-Q3", "ENT", 120),
        ("SMB-Renewals", "SMB", 40),
        ("Empty-List", "EMP", 0),
    ):
        list_id = state.next_id("call_list")
        state.put(
            "call_list",
            list_id,
            {"listId": list_id, "listName": name, "status": "Active", "records": _records(prefix, size)},
        )
    for name, tenant in (("Internal-Opt-Outs", False), ("Tenant-DNC", True), ("Litigators", False)):
        group = state.next_id("dnc_group")
        state.put(
            "dnc_group",
            group,
            {
                "dncGroupId": group,
                "dncGroupName": name,
                "dncGroupDescription": "the tenant DNC group" if tenant else "",
                "validRecords": 25,
                "isActive": True,
                "isRemoved": False,
                "tenantDefault": tenant,
                "skills": [],
            },
        )
