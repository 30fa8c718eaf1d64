"""The plan: immutable values in a fixed order, its fingerprint and its saved form (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reconciler.errors import SafetyThreshold

ACTIONS = ("create", "adopt", "stop", "update", "start", "delete")
"""Every action, in the order a campaign's actions run."""
SUMMARY_ORDER = ("create", "adopt", "update", "stop", "start", "delete")
"""Key order of the JSON summary, as product.md shows it."""
FORMAT_VERSION = 1
LOCKED_FIELDS = ("dialerType", "contactListId", "dnc", "schedule")
"""Fields an active campaign cannot change: stop, update, start."""
COMPLIANCE_FIELDS = ("contactListId", "dnc", "schedule")
SAFETY_RATIO = 0.3
SAFETY_MIN_OWNED = 10


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any

    @property
    def top(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def locked(self) -> bool:
        return self.top in LOCKED_FIELDS

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Launch:
    """How apply waits for a start or stop of one campaign."""

    poll_interval: float = 3.0
    poll_jitter: float = 2.0
    timeout: float = 600.0

    def to_json(self) -> dict[str, float]:
        return {"pollInterval": self.poll_interval, "pollJitter": self.poll_jitter, "timeout": self.timeout}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Launch:
        return cls(float(data["pollInterval"]), float(data["pollJitter"]), float(data["timeout"]))


@dataclass(frozen=True)
class Change:
    """What happens to one campaign, in order."""

    name: str
    campaign_id: str | None
    actions: tuple[str, ...]
    fields: tuple[FieldChange, ...] = ()
    version: int | None = None
    status: str | None = None
    launch: Launch = field(default_factory=Launch)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(a for a in ACTIONS if a in self.actions)
        if ordered != self.actions:
            raise ValueError(f"actions {self.actions} are not in the order {ACTIONS}")

    @property
    def restarts(self) -> bool:
        return "stop" in self.actions and "start" in self.actions

    def adopt_patch(self) -> dict[str, Any]:
        """Adopting sets the labels (ownership included) first, alone."""
        return nest(f for f in self.fields if f.top == "labels")

    def update_patch(self) -> dict[str, Any]:
        adopting = "adopt" in self.actions
        return nest(f for f in self.fields if not (adopting and f.top == "labels"))

    def create_body(self) -> dict[str, Any]:
        return {"name": self.name, **nest(self.fields)}

    def to_json(self, *, saved: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "campaignId": self.campaign_id,
            "actions": list(self.actions),
            "fields": [f.to_json() for f in self.fields],
        }
        if saved:
            data |= {
                "version": self.version,
                "status": self.status,
                "launch": self.launch.to_json(),
                "notes": list(self.notes),
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            name=data["name"],
            campaign_id=data["campaignId"],
            actions=tuple(data["actions"]),
            fields=tuple(FieldChange(f["path"], f["before"], f["after"]) for f in data["fields"]),
            version=data.get("version"),
            status=data.get("status"),
            launch=Launch.from_json(data["launch"]) if "launch" in data else Launch(),
            notes=tuple(data.get("notes", ())),
        )


def nest(fields: Iterable[FieldChange]) -> dict[str, Any]:
    """Dotted paths and their new values as a nested JSON merge patch."""
    patch: dict[str, Any] = {}
    for f in fields:
        # label keys are free text and may hold dots: only the first dot is a separator
        *parents, leaf = f.path.split(".", 1) if f.top == "labels" else f.path.split(".")
        node = patch
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = f.after
    return patch


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...]
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    versions: Mapping[str, int] = field(default_factory=dict)
    """Live version of every campaign the plan looked at, by name."""
    owned: int = 0
    tenant_campaigns: int = field(default=0, compare=False)
    """How many campaigns the tenant had when planned (not saved; 0 = unknown)."""

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def summary(self) -> dict[str, int]:
        counts = {action: sum(action in c.actions for c in self.changes) for action in SUMMARY_ORDER}
        return {**counts, "unchanged": self.unchanged}

    @cached_property
    def fingerprint(self) -> str:
        canonical = json.dumps(
            {
                "target": self.target,
                "changes": [c.to_json(saved=True) for c in self.changes],
                "versions": dict(sorted(self.versions.items())),
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def idempotency_key(self, change: Change) -> str:
        """Stable for one plan: a retried or re-sent create reuses it."""
        digest = hashlib.sha256(f"{self.fingerprint}\n{change.name}".encode()).hexdigest()
        return f"cxr-{digest[:40]}"

    def to_json(self, *, saved: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "formatVersion": FORMAT_VERSION,
            "target": self.target,
            "fingerprint": self.fingerprint,
            "changes": [c.to_json(saved=saved) for c in self.changes],
            "summary": self.summary,
            "warnings": list(self.warnings),
        }
        if saved:
            data |= {"versions": dict(sorted(self.versions.items())), "owned": self.owned}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("formatVersion") != FORMAT_VERSION:
            raise ValueError(f"unsupported plan formatVersion {data.get('formatVersion')!r}")
        if "versions" not in data:
            raise ValueError("not a saved plan (no live versions): save it with `plan --out FILE`")
        plan = cls(
            target=data["target"],
            changes=tuple(Change.from_json(c) for c in data["changes"]),
            unchanged=int(data["summary"]["unchanged"]),
            warnings=tuple(data["warnings"]),
            versions={str(k): int(v) for k, v in data["versions"].items()},
            owned=int(data.get("owned", 0)),
        )
        if plan.fingerprint != data.get("fingerprint"):
            raise ValueError("the plan file was edited after it was saved (fingerprint mismatch)")
        return plan


def check_safety(plan: Plan, *, force: bool, specs: int | None = None) -> None:
    """Refuse a plan that stops or deletes too much of what we own.

    ``specs`` is how many specs the plan was made from: none at all with deletes
    planned is a wrong path far more often than an intent to delete everything.
    """
    if force:
        return
    deletes = sum("delete" in c.actions for c in plan.changes)
    if specs == 0 and deletes:
        raise SafetyThreshold(
            f"no campaign specs were found, so --prune would delete all {deletes} managed campaigns",
            hint="check the spec paths; pass --force if deleting them all is intended",
        )
    risky = [c.name for c in plan.changes if "stop" in c.actions or "delete" in c.actions]
    if plan.owned < SAFETY_MIN_OWNED or len(risky) <= SAFETY_RATIO * plan.owned:
        return
    raise SafetyThreshold(
        f"the plan would stop or delete {len(risky)} of {plan.owned} managed campaigns "
        f"(more than {SAFETY_RATIO:.0%})",
        hint="check the specs and the target; pass --force if this is intended",
    )
