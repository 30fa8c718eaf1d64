"""The plan: immutable values in a fixed order, its fingerprint and its saved form (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reconciler.errors import SafetyThreshold
from reconciler.tenant import Action, FieldChange, Status

__all__ = [
    "ACTIONS",
    "COMPLIANCE_FIELDS",
    "LOCKED_FIELDS",
    "Change",
    "FieldChange",
    "Launch",
    "Plan",
    "check_safety",
    "is_locked",
]

ACTIONS = tuple(Action)
"""Every action, in the order a campaign's actions run."""
SUMMARY_ORDER = (Action.CREATE, Action.ADOPT, Action.UPDATE, Action.STOP, Action.START, Action.DELETE)
"""Key order of the JSON summary, as product.md shows it."""
FORMAT_VERSION = 1
LOCKED_FIELDS = ("dialerType", "contactListId", "dnc", "schedule")
"""Fields an active campaign cannot change: stop, update, start."""
COMPLIANCE_FIELDS = ("contactListId", "dnc", "schedule")
SAFETY_RATIO = 0.3
SAFETY_MIN_OWNED = 10


def is_locked(change: FieldChange) -> bool:
    """An active campaign cannot change this field: stop, update, start."""
    return change.top in LOCKED_FIELDS


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
    actions: tuple[Action, ...]
    fields: tuple[FieldChange, ...] = ()
    revision: int | None = None
    """The live campaign's revision the plan saw (None for a create)."""
    status: Status | None = None
    launch: Launch = field(default_factory=Launch)
    notes: tuple[str, ...] = ()
    opt_outs: tuple[tuple[str, str], ...] = ()
    """The spec's compliance opt-outs (rule, reason), so a saved plan is re-checked as its spec was."""

    def __post_init__(self) -> None:
        ordered = tuple(a for a in ACTIONS if a in self.actions)
        if ordered != self.actions:
            raise ValueError(f"actions {self.actions} are not in the order {ACTIONS}")

    @property
    def restarts(self) -> bool:
        return Action.STOP in self.actions and Action.START in self.actions

    def adopt_fields(self) -> tuple[FieldChange, ...]:
        """Adopting sets the labels (ownership included) first, alone."""
        return tuple(f for f in self.fields if f.top == "labels")

    def update_fields(self) -> tuple[FieldChange, ...]:
        adopting = Action.ADOPT in self.actions
        return tuple(f for f in self.fields if not (adopting and f.top == "labels"))

    def to_json(self, *, saved: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "campaignId": self.campaign_id,
            "actions": [str(a) for a in self.actions],
            "fields": [f.to_json() for f in self.fields],
        }
        if saved:
            data |= {
                "version": self.revision,
                "status": None if self.status is None else str(self.status),
                "launch": self.launch.to_json(),
                "notes": list(self.notes),
                "optOuts": dict(self.opt_outs),
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        status = data.get("status")
        return cls(
            name=data["name"],
            campaign_id=data["campaignId"],
            actions=tuple(Action(a) for a in data["actions"]),
            fields=tuple(FieldChange(f["path"], f["before"], f["after"]) for f in data["fields"]),
            revision=data.get("version"),
            status=None if status is None else Status(status),
            launch=Launch.from_json(data["launch"]) if "launch" in data else Launch(),
            notes=tuple(data.get("notes", ())),
            opt_outs=tuple(sorted(dict(data.get("optOuts", {})).items())),
        )


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...]
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    versions: Mapping[str, int] = field(default_factory=dict)
    """Live version of every campaign the plan looked at, by name."""
    owned: int = 0
    specs: int | None = None
    """How many specs the plan was made from (None: unknown)."""
    tenant_campaigns: int = field(default=0, compare=False)
    """How many campaigns the tenant had when planned (not saved; 0 = unknown)."""

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def summary(self) -> dict[str, int]:
        counts = {str(a): sum(a in c.actions for c in self.changes) for a in SUMMARY_ORDER}
        return {**counts, "unchanged": self.unchanged}

    @cached_property
    def fingerprint(self) -> str:
        canonical = json.dumps(
            {
                "target": self.target,
                "changes": [c.to_json(saved=True) for c in self.changes],
                "versions": dict(sorted(self.versions.items())),
                "owned": self.owned,
                "specs": self.specs,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

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
            data |= {
                "versions": dict(sorted(self.versions.items())),
                "owned": self.owned,
                "specs": self.specs,
            }
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
            specs=None if data.get("specs") is None else int(data["specs"]),
        )
        if plan.fingerprint != data.get("fingerprint"):
            raise ValueError("the plan file was edited after it was saved (fingerprint mismatch)")
        return plan


def check_safety(plan: Plan, *, force: bool) -> None:
    """Refuse a plan that stops or deletes too much of what we own.

    A plan made from no spec at all with deletes planned is a wrong path far
    more often than an intent to delete everything.
    """
    if force:
        return
    specs = plan.specs
    deletes = sum(Action.DELETE in c.actions for c in plan.changes)
    if specs == 0 and deletes:
        raise SafetyThreshold(
            f"no campaign specs were found, so --prune would delete all {deletes} managed campaigns",
            hint="check the spec paths; pass --force if deleting them all is intended",
        )
    risky = [c.name for c in plan.changes if Action.STOP in c.actions or Action.DELETE in c.actions]
    if plan.owned < SAFETY_MIN_OWNED or len(risky) <= SAFETY_RATIO * plan.owned:
        return
    raise SafetyThreshold(
        f"the plan would stop or delete {len(risky)} of {plan.owned} managed campaigns "
        f"(more than {SAFETY_RATIO:.0%})",
        hint="check the specs and the target; pass --force if this is intended",
    )
