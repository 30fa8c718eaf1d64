"""Request bodies the emulator accepts, as cxone-api.yaml defines them (unknown fields ignored).

Strict: JSON types must match the contract exactly, as JSON Schema reads
them. "5" is not an integer, 0 and "yes" are not booleans, 5.5 is not an
integer; such bodies get 400 VALIDATION_ERROR like any other invalid field.
5.0 is an integer (JSON Schema counts a number with a zero fraction as one),
as the published spec schema and `reconciler validate` also say.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict


def _integral(value: object) -> object:
    """A float with no fraction is the integer JSON Schema says it is; anything else stays as given."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_integral), Strict()]

Day = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class PacingIn(_In):
    callsPerMinute: Integer = Field(ge=1, le=600)
    maxConcurrent: Integer = Field(ge=1, le=1000)


class DncIn(_In):
    enforceNational: bool
    enforceLocal: bool
    listIds: list[str] = Field(default_factory=list)


class WindowIn(_In):
    days: list[Day] = Field(min_length=1)
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ScheduleIn(_In):
    timeZone: str
    windows: list[WindowIn] = Field(min_length=1)


class DefinitionIn(_In):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=1024)
    dialerType: str = Field(pattern=r"^(PREDICTIVE|PROGRESSIVE|PREVIEW|AGENTLESS)$")
    pacing: PacingIn
    contactListId: str
    dnc: DncIn
    schedule: ScheduleIn | None = None
    labels: dict[str, Annotated[str, Field(max_length=255)]] = Field(default_factory=dict, max_length=32)
