"""The parts of one spec document that the cross-field checks read, salvaged when the rest is broken.

A structural error (an unknown field in ``spec.pacing``) must not hide a
semantic one elsewhere (a calling window outside TCPA hours): each part is
validated on its own, and a check runs on every part it needs that is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.spec.models import AdaptivePacing, Campaign, OptOut, Pacing, Schedule, Window

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Parts:
    """Valid parts; None (or absent from a collection) when missing or invalid."""

    labels: Mapping[str, Any]
    pacing: Pacing | None
    zone: str | None
    windows: tuple[tuple[int, Window], ...]
    adaptive: AdaptivePacing | None
    opt_outs: Mapping[str, OptOut]
    unknown_opt_outs: frozenset[str]  # written but invalid: whether the rule is waived is unknown
    has_pacing: bool = True
    """``spec.pacing`` is written (valid or not)."""
    has_acd: bool = False
    """``spec.acd`` is written (valid or not)."""
    dialer: str | None = None
    """``spec.dialerType`` as written."""

    @classmethod
    def of(cls, campaign: Campaign) -> Parts:
        spec = campaign.spec
        opt = spec.complianceOptOuts
        return cls(
            labels=campaign.metadata.labels,
            pacing=spec.pacing,
            zone=spec.schedule.timeZone if spec.schedule else None,
            windows=tuple(enumerate(spec.schedule.windows)) if spec.schedule else (),
            adaptive=spec.adaptivePacing,
            opt_outs={k: v for k, v in (dict(opt) if opt else {}).items() if isinstance(v, OptOut)},
            unknown_opt_outs=frozenset(),
            has_pacing=spec.pacing is not None,
            has_acd=spec.acd is not None,
            dialer=spec.dialerType.value,
        )


def salvage(data: Any) -> Parts:
    """The valid parts of a document that did not validate as a whole."""
    metadata, spec = _mapping(_mapping(data).get("metadata")), _mapping(_mapping(data).get("spec"))
    labels = _mapping(metadata.get("labels"))
    raw_schedule = _mapping(spec.get("schedule"))
    schedule = _valid(Schedule, raw_schedule)
    if schedule is not None:
        zone: str | None = schedule.timeZone
        windows = tuple(enumerate(schedule.windows))
    else:
        raw_zone = raw_schedule.get("timeZone")
        zone = raw_zone if isinstance(raw_zone, str) and raw_zone else None
        raw_windows = raw_schedule.get("windows")
        items = raw_windows if isinstance(raw_windows, list) else []
        windows = tuple((i, w) for i, w in enumerate(_valid(Window, item) for item in items) if w is not None)
    opt_outs: dict[str, OptOut] = {}
    unknown: set[str] = set()
    raw_opt_outs = spec.get("complianceOptOuts")
    for name, raw in _mapping(raw_opt_outs).items():
        valid = _valid(OptOut, raw)
        if valid is not None:
            opt_outs[name] = valid
        elif raw is not None:
            unknown.add(name)
    if raw_opt_outs is not None and not isinstance(raw_opt_outs, dict):
        unknown.update(("maxAbandonRate", "callingHours"))
    return Parts(
        labels=labels,
        pacing=_valid(Pacing, spec.get("pacing")),
        zone=zone,
        windows=windows,
        adaptive=_valid(AdaptivePacing, spec.get("adaptivePacing")),
        opt_outs=opt_outs,
        unknown_opt_outs=frozenset(unknown),
        has_pacing=spec.get("pacing") is not None,
        has_acd=spec.get("acd") is not None,
        dialer=spec.get("dialerType") if isinstance(spec.get("dialerType"), str) else None,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _valid(model: type[M], raw: Any) -> M | None:
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None
