"""The desired state: frozen pydantic models of one campaign spec document.

Field names are the API's (camelCase). Unknown fields are errors. Bounds
agree with ../shared/design/cxone-api.yaml.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

API_VERSION = "cxone.reconciler/v1"
MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "cxone-reconciler"

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """'500ms', '3s', '10m', '1h' -> seconds."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"expected a duration string such as '3s' or '10m', got {value!r}; "
            "quote it and add a unit: ms, s, m or h"
        )
    match = _DURATION.match(value.strip())
    if match is None:
        raise ValueError(f"invalid duration {value!r}: use a number followed by ms, s, m or h, e.g. '3s'")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    for unit in ("h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    return f"{round(seconds * 1000)}ms"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+(\.\d+)?(ms|s|m|h)$",
            "description": "A duration: a number and a unit (ms, s, m, h), e.g. '3s'.",
            "examples": ["500ms", "3s", "10m", "1h"],
        }
    ),
]

HHMM = Annotated[
    str,
    Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local time HH:MM (24 h), quoted.",
        examples=["09:00", "20:00"],
    ),
]


def _duration_field(
    default: float, description: str, *, gt: float | None = None, ge: float | None = None
) -> Any:
    """A Duration field whose schema shows its default as written in YAML."""
    return Field(
        default=default,
        description=description,
        json_schema_extra={"default": format_duration(default)},
        gt=gt,
        ge=ge,
    )


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class DialerType(StrEnum):
    PREDICTIVE = "PREDICTIVE"
    PROGRESSIVE = "PROGRESSIVE"
    PREVIEW = "PREVIEW"
    AGENTLESS = "AGENTLESS"


class Day(StrEnum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


class Metadata(_Model):
    name: str = Field(
        min_length=1,
        max_length=128,
        description="The CXone campaign name: the campaign's identity, unique in the tenant.",
        examples=["Q3-Enterprise-Outbound"],
    )
    labels: dict[
        Annotated[str, Field(min_length=1, max_length=63)], Annotated[str, Field(max_length=255)]
    ] = Field(
        default_factory=dict,
        max_length=31,
        description=(
            "Copied to the campaign's labels. At most 31: the reconciler adds "
            f"'{MANAGED_BY_KEY}: {MANAGED_BY_VALUE}' (CXone allows 32)."
        ),
        examples=[{"team": "enterprise-sales"}],
    )


class Pacing(_Model):
    callsPerMinute: int = Field(ge=1, le=600, description="Calls placed per minute.")
    maxConcurrent: int = Field(ge=1, le=1000, description="Most calls in progress at once.")


class Dnc(_Model):
    enforceNational: bool = Field(description="Scrub against the national Do-Not-Call registry.")
    enforceLocal: bool = Field(description="Scrub against state / local DNC registries.")
    listIds: tuple[str, ...] = Field(
        default=(),
        description="Tenant DNC lists to scrub against, e.g. DNC-INTERNAL.",
        examples=[["DNC-INTERNAL"]],
    )


class Window(_Model):
    days: tuple[Day, ...] = Field(min_length=1, description="Days this window applies to.")
    start: HHMM
    end: HHMM


class Schedule(_Model):
    timeZone: str = Field(
        min_length=1,
        description="IANA time zone the windows are in, e.g. America/New_York.",
        examples=["America/New_York"],
    )
    windows: tuple[Window, ...] = Field(min_length=1, description="Calling windows.")


class Launch(_Model):
    pollInterval: Duration = _duration_field(3.0, "Base interval between status polls.", gt=0)
    pollJitter: Duration = _duration_field(2.0, "Plus a uniform random 0..pollJitter.", ge=0)
    timeout: Duration = _duration_field(600.0, "Give up waiting after this long.", gt=0)


class Comparison(_Model):
    """Bounds on one realtime figure; every bound given must hold."""

    lt: float | None = Field(default=None, description="Less than.")
    lte: float | None = Field(default=None, description="Less than or equal to.")
    gt: float | None = Field(default=None, description="Greater than.")
    gte: float | None = Field(default=None, description="Greater than or equal to.")

    @model_validator(mode="after")
    def _at_least_one(self) -> Comparison:
        if all(v is None for v in (self.lt, self.lte, self.gt, self.gte)):
            raise ValueError("name at least one operator: lt, lte, gt or gte")
        return self

    def holds(self, value: float) -> bool:
        return (
            (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
            and (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
        )


class Condition(_Model):
    """Realtime figures to test; all named ones must hold."""

    answerRate: Comparison | None = Field(default=None, description="Share of calls answered (0-1).")
    abandonRate: Comparison | None = Field(default=None, description="Abandoned / live-answered calls (0-1).")
    activeCalls: Comparison | None = Field(default=None, description="Calls in progress now.")
    totalCalls: Comparison | None = Field(default=None, description="Calls placed so far.")

    @model_validator(mode="after")
    def _at_least_one(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("name at least one of answerRate, abandonRate, activeCalls, totalCalls")
        return self


class PacingSet(_Model):
    callsPerMinute: int | None = Field(default=None, ge=1, le=600)
    maxConcurrent: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _at_least_one(self) -> PacingSet:
        if self.callsPerMinute is None and self.maxConcurrent is None:
            raise ValueError("name callsPerMinute, maxConcurrent or both")
        return self


class Rule(_Model):
    when: Condition = Field(description="All named figures must match.")
    set: PacingSet = Field(description="Pacing to set when the rule matches.")


class AdaptivePacing(_Model):
    interval: Duration = _duration_field(30.0, "How often `pace --watch` evaluates.", ge=1)
    cooldown: Duration = _duration_field(
        120.0,
        "After a pacing change, rules may not change pacing again for this long (anti-flap). "
        "The abandon-rate guard may always step pacing down.",
        ge=0,
    )
    minCallsPerMinute: int = Field(ge=1, le=600)
    maxCallsPerMinute: int = Field(ge=1, le=600)
    maxAbandonRate: float = Field(
        default=0.03,
        ge=0,
        le=1,
        description="Above it pacing only goes down. Over 0.03 needs complianceOptOuts.maxAbandonRate.",
    )
    rules: tuple[Rule, ...] = Field(default=(), description="First match wins.")


class OptOut(_Model):
    reason: str = Field(
        min_length=10,
        description="Why this compliance rule does not apply; reviewed in the pull request.",
    )


class ComplianceOptOuts(_Model):
    maxAbandonRate: OptOut | None = Field(
        default=None, description="Allow adaptivePacing.maxAbandonRate above 0.03 (FCC/TCPA)."
    )
    callingHours: OptOut | None = Field(
        default=None, description="Allow calling windows outside 08:00-21:00 local (TCPA)."
    )


class CampaignSpec(_Model):
    description: str = Field(default="", max_length=1024, description="Free text shown in CXone.")
    dialerType: DialerType = Field(description="How the dialer places calls.")
    contactListId: str = Field(
        min_length=1,
        description="Contact list to dial: must exist, be DNC compliant and not be empty.",
        examples=["CL-839201-AJF2"],
    )
    dnc: Dnc = Field(description="Do-Not-Call enforcement.")
    pacing: Pacing = Field(description="Dialing speed and concurrency.")
    schedule: Schedule | None = Field(default=None, description="Optional calling windows.")
    state: Literal["running", "stopped"] = Field(default="stopped", description="Desired lifecycle state.")
    launch: Launch = Field(default_factory=Launch, description="How apply waits for starts and stops.")
    adaptivePacing: AdaptivePacing | None = Field(
        default=None, description="Rules `reconciler pace` keeps the running campaign inside."
    )
    complianceOptOuts: ComplianceOptOuts | None = Field(
        default=None,
        description="Explicit, reasoned exceptions to compliance checks. Each shows as a warning.",
    )


class Campaign(_Model):
    """One campaign spec document."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "CXone campaign spec (cxone-reconciler)"},
    )

    apiVersion: Literal["cxone.reconciler/v1"] = Field(description="Spec format version.")
    kind: Literal["Campaign"] = Field(description="Always Campaign.")
    metadata: Metadata = Field(description="Identity and labels.")
    spec: CampaignSpec = Field(description="The desired campaign.")

    @property
    def name(self) -> str:
        return self.metadata.name

    def definition(self) -> dict[str, Any]:
        """The CXone campaign definition this spec asks for (labels include ownership)."""
        spec = self.spec
        return {
            "name": self.metadata.name,
            "description": spec.description,
            "dialerType": spec.dialerType.value,
            "pacing": spec.pacing.model_dump(),
            "contactListId": spec.contactListId,
            "dnc": {
                "enforceNational": spec.dnc.enforceNational,
                "enforceLocal": spec.dnc.enforceLocal,
                "listIds": sorted(set(spec.dnc.listIds)),
            },
            "schedule": spec.schedule.model_dump(mode="json") if spec.schedule else None,
            "labels": {**self.metadata.labels, MANAGED_BY_KEY: MANAGED_BY_VALUE},
        }
