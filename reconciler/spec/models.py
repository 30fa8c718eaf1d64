"""The desired state: frozen pydantic models of one campaign spec document.

Field names are the API's (camelCase). Unknown fields are errors. Bounds
agree with the CXone contract (``reconciler/emulator/openapi.yaml``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from reconciler.spec.types import (
    HHMM,
    PRINTABLE_PATTERN,
    Bool,
    Duration,
    Float,
    Identifier,
    Int,
    PositiveDuration,
    Reason,
    SecondOrMore,
    duration_field,
    printable,
)

API_VERSION = "cxone.reconciler/v1"
MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "cxone-reconciler"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


def _require_one(schema: dict[str, Any], cls: type) -> None:
    """Schema side of _AtLeastOne: one of the fields is present and not null."""
    names = list(getattr(cls, "model_fields", {}))
    schema["anyOf"] = [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]


class _AtLeastOne(_Model):
    """Optional fields of which at least one must be given, and not as null."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_require_one)

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        names = list(type(self).model_fields)
        if all(getattr(self, n) is None for n in names):
            raise ValueError(f"name at least one of {', '.join(names)}")
        return self


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


def _key_pattern_as_property_names(schema: dict[str, Any]) -> None:
    """pydantic writes a key pattern as patternProperties, which lets other keys through: fix that."""
    ((pattern, values),) = schema.pop("patternProperties").items()
    schema["additionalProperties"] = values
    schema["propertyNames"]["pattern"] = pattern


class Metadata(_Model):
    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=PRINTABLE_PATTERN,
        description="The CXone campaign name: the campaign's identity, unique in the tenant.",
        examples=["Q3-Enterprise-Outbound"],
    )
    labels: dict[
        Annotated[str, Strict(), printable(min_length=1, max_length=63)],
        Annotated[str, Strict(), printable(max_length=255)],
    ] = Field(
        default_factory=dict,
        max_length=31,
        description=(
            "Copied to the campaign's labels. At most 31: the reconciler adds "
            f"'{MANAGED_BY_KEY}: {MANAGED_BY_VALUE}' (CXone allows 32)."
        ),
        examples=[{"team": "enterprise-sales"}],
        json_schema_extra=_key_pattern_as_property_names,
    )


PROVIDER_CAMPAIGNS = "cxone-campaigns"
PROVIDER_ACD = "cxone-acd"


def _no_null(schema: dict[str, Any]) -> None:
    """An optional field that may be left out but not written as null: the schema of its value only."""
    branches = [b for b in schema.pop("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must be a whole number, not null: leave the field out instead")
    return value


class Pacing(_Model):
    callsPerMinute: Int | None = Field(
        default=None,
        json_schema_extra=_no_null,
        ge=1,
        le=600,
        description="Calls placed per minute. Required with provider cxone-campaigns; "
        "provider cxone-acd has no such setting (use acd.maximumRatio).",
    )
    maxConcurrent: Int | None = Field(
        default=None,
        json_schema_extra=_no_null,
        ge=1,
        le=1000,
        description="Most calls in progress at once. Required with provider cxone-campaigns; "
        "with provider cxone-acd only for AGENTLESS (its ports, 1..10).",
    )

    _given = field_validator("callsPerMinute", "maxConcurrent", mode="before")(_reject_null)


class Dnc(_Model):
    enforceNational: Bool = Field(description="Scrub against the national Do-Not-Call registry.")
    enforceLocal: Bool = Field(description="Scrub against state / local DNC registries.")
    listIds: tuple[Identifier, ...] = Field(
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
    pollInterval: PositiveDuration = duration_field(3.0, "Base interval between status polls.")
    pollJitter: Duration = duration_field(2.0, "Plus a uniform random 0..pollJitter.")
    timeout: PositiveDuration = duration_field(600.0, "Give up waiting after this long.")


class Comparison(_AtLeastOne):
    """Bounds on one realtime figure; every bound given must hold."""

    lt: Float | None = Field(default=None, description="Less than.")
    lte: Float | None = Field(default=None, description="Less than or equal to.")
    gt: Float | None = Field(default=None, description="Greater than.")
    gte: Float | None = Field(default=None, description="Greater than or equal to.")

    def holds(self, value: float) -> bool:
        return (
            (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
            and (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
        )


class Condition(_AtLeastOne):
    """Realtime figures to test; all named ones must hold."""

    answerRate: Comparison | None = Field(default=None, description="Share of calls answered (0-1).")
    abandonRate: Comparison | None = Field(default=None, description="Abandoned / live-answered calls (0-1).")
    activeCalls: Comparison | None = Field(default=None, description="Calls in progress now.")
    totalCalls: Comparison | None = Field(default=None, description="Calls placed so far.")


class PacingSet(_AtLeastOne):
    callsPerMinute: Int | None = Field(default=None, ge=1, le=600, description="Provider cxone-campaigns.")
    maxConcurrent: Int | None = Field(default=None, ge=1, le=1000, description="Provider cxone-campaigns.")
    maximumRatio: Int | None = Field(
        default=None, ge=1, le=3, description="Provider cxone-acd: dial lines per agent (1 = progressive)."
    )


class Rule(_Model):
    when: Condition = Field(description="All named figures must match.")
    set: PacingSet = Field(description="Pacing to set when the rule matches.")


class AdaptivePacing(_Model):
    interval: SecondOrMore = duration_field(30.0, "How often `pace --watch` evaluates.")
    cooldown: Duration = duration_field(
        120.0,
        "After a pacing change, rules may not change pacing again for this long (anti-flap). "
        "The abandon-rate guard may always step pacing down.",
    )
    minCallsPerMinute: Int | None = Field(
        default=None,
        json_schema_extra=_no_null,
        ge=1,
        le=600,
        description="Required with provider cxone-campaigns (provider cxone-acd paces maximumRatio 1..3).",
    )
    maxCallsPerMinute: Int | None = Field(
        default=None,
        json_schema_extra=_no_null,
        ge=1,
        le=600,
        description="Required with provider cxone-campaigns (provider cxone-acd paces maximumRatio 1..3).",
    )
    maxAbandonRate: Float = Field(
        default=0.03,
        ge=0,
        le=1,
        description="Above it pacing only goes down. Over 0.03 needs complianceOptOuts.maxAbandonRate.",
    )
    rules: tuple[Rule, ...] = Field(default=(), description="First match wins.")

    _given = field_validator("minCallsPerMinute", "maxCallsPerMinute", mode="before")(_reject_null)


class OptOut(_Model):
    reason: Reason = Field(
        description="Why this compliance rule does not apply; reviewed in the pull request.",
    )


class ComplianceOptOuts(_Model):
    maxAbandonRate: OptOut | None = Field(
        default=None, description="Allow adaptivePacing.maxAbandonRate above 0.03 (FCC/TCPA)."
    )
    callingHours: OptOut | None = Field(
        default=None, description="Allow calling windows outside 08:00-21:00 local (TCPA)."
    )


class AcdTimeZone(_Model):
    """Contact-local calling hours in one time zone (the skill's time-zones block)."""

    standardName: str = Field(
        min_length=1,
        max_length=128,
        pattern=PRINTABLE_PATTERN,
        description="The business unit's name of the zone (GET /business-unit timeZones[].standardName), "
        "e.g. Eastern Standard Time.",
        examples=["Eastern Standard Time"],
    )
    startTime: HHMM
    endTime: HHMM


class AcdSettings(_Model):
    """Settings only provider cxone-acd has (a Personal Connection skill). Unset: the tenant's value stays."""

    maximumRatio: Int | None = Field(
        default=None,
        ge=1,
        le=3,
        description="Dial lines per agent (general-settings): 1 for PROGRESSIVE, 2 or 3 for PREDICTIVE. "
        "adaptivePacing moves it when the spec declares rules.",
    )
    maxConcurrentCallsPerAgent: Int | None = Field(
        default=None, ge=1, le=10, description="Calls in progress per agent (general-settings)."
    )
    abandonRateThreshold: Float | None = Field(
        default=None,
        ge=0,
        le=99.9,
        description="Target abandon percentage of the skill (overrides the business unit's).",
    )
    maximumRingingDuration: Int | None = Field(
        default=None, ge=1, le=60, description="Seconds a call rings before it is given up."
    )
    maximumAttempts: Int | None = Field(
        default=None, ge=1, le=300, description="Attempts per contact (retry-settings)."
    )
    minimumRetryMinutes: Int | None = Field(
        default=None, ge=1, le=50000, description="Minutes between attempts at one contact (retry-settings)."
    )
    campaign: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        pattern=PRINTABLE_PATTERN,
        description="The reporting campaign the skill belongs to, by name (created if missing).",
        examples=["Default Campaign"],
    )
    timeZones: tuple[AcdTimeZone, ...] | None = Field(
        default=None,
        min_length=1,
        description="Contact-local calling hours per time zone (the skill's time-zones block).",
    )
    scriptId: Int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The Studio script of an AGENTLESS skill."
    )
    callSuppressionScriptId: Int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="A call-suppression script (e.g. national DNC at dial time): "
        "the ACD API has no national DNC switch.",
    )

    def normal(self) -> dict[str, Any]:
        """Every setting, None where unset; time zones sorted by name."""
        data = self.model_dump(mode="json")
        if data["timeZones"] is not None:
            data["timeZones"] = sorted(data["timeZones"], key=lambda z: str(z["standardName"]))
        return data


class CampaignSpec(_Model):
    description: str = Field(default="", max_length=1024, description="Free text shown in CXone.")
    dialerType: DialerType = Field(description="How the dialer places calls.")
    contactListId: Identifier = Field(
        description="Contact list to dial: must exist, be DNC compliant and not be empty.",
        examples=["CL-839201-AJF2"],
    )
    dnc: Dnc = Field(description="Do-Not-Call enforcement.")
    pacing: Pacing | None = Field(
        default=None,
        json_schema_extra=_no_null,
        description="Dialing speed and concurrency. Required with provider cxone-campaigns; "
        "provider cxone-acd paces with acd.maximumRatio instead.",
    )
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
    acd: AcdSettings | None = Field(
        default=None,
        description="Settings of provider cxone-acd (real CXone tenants, Admin API): "
        "an error with provider cxone-campaigns.",
    )

    @field_validator("pacing", mode="before")
    @classmethod
    def _pacing_given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must be a mapping, not null: leave pacing out instead")
        return value


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
        pacing = spec.pacing.model_dump() if spec.pacing else {"callsPerMinute": None, "maxConcurrent": None}
        definition: dict[str, Any] = {
            "name": self.metadata.name,
            "description": spec.description,
            "dialerType": spec.dialerType.value,
            "pacing": pacing,
            "contactListId": spec.contactListId,
            "dnc": {
                "enforceNational": spec.dnc.enforceNational,
                "enforceLocal": spec.dnc.enforceLocal,
                "listIds": sorted(set(spec.dnc.listIds)),
            },
            "schedule": spec.schedule.model_dump(mode="json") if spec.schedule else None,
            "labels": {**self.metadata.labels, MANAGED_BY_KEY: MANAGED_BY_VALUE},
        }
        if spec.acd is not None:
            definition["acd"] = spec.acd.normal()
        return definition
