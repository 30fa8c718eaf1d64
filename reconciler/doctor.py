"""`reconciler doctor`: read-only checks of a target, one line each, ok / warn / fail and what to do.

Pure: a provider hands over its probes (``Probe``: a name and a coroutine that
answers a ``Check``); ``examine`` runs them in order, turns an error of the tool
into a failed check with its hint, and stops after a failed probe the later ones
need (``gate``: no token, no API). A tenant without probes of its own gets the
one check every ``Tenant`` can answer: its campaign list. Nothing here sends a
change; the probes only read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from reconciler.errors import ReconcilerError
from reconciler.tenant import LiveCampaign, Tenant

__all__ = [
    "Check",
    "Diagnosable",
    "Level",
    "Probe",
    "Report",
    "campaigns_check",
    "examine",
    "probes_of",
    "render_text",
]

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """What one probe found."""

    name: str
    status: Level
    detail: str
    hint: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class Probe:
    """One read-only question to the tenant; ``gate``: the probes after it need it to pass."""

    name: str
    run: Callable[[], Awaitable[Check]]
    gate: bool = False


@runtime_checkable
class Diagnosable(Protocol):
    """A tenant that knows its own probes (both providers do)."""

    def doctor_probes(self) -> Sequence[Probe]: ...


@dataclass
class Report:
    target: str
    provider: str
    checks: list[Check] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    """Probes skipped because a gate before them failed."""

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "provider": self.provider,
            "checks": [c.to_json() for c in self.checks],
        }


def campaigns_check(campaigns: Sequence[LiveCampaign], what: str = "campaign") -> Check:
    owned = sum(1 for c in campaigns if c.owned)
    return Check("campaigns", "ok", f"{len(campaigns)} {what}(s) readable, {owned} owned by cxone-reconciler")


def probes_of(tenant: Tenant) -> list[Probe]:
    """The tenant's own probes, or the campaign list only."""
    if isinstance(tenant, Diagnosable):
        return list(tenant.doctor_probes())

    async def campaigns() -> Check:
        return campaigns_check(await tenant.campaigns())

    return [Probe("campaigns", campaigns, gate=True)]


async def examine(probes: Sequence[Probe], *, target: str, provider: str) -> Report:
    """Run the probes in order; an error of the tool is a failed check, never an exception."""
    report = Report(target, provider)
    for index, probe in enumerate(probes):
        try:
            check = await probe.run()
        except ReconcilerError as error:
            check = Check(probe.name, "fail", error.message, error.hint or "")
        report.checks.append(check)
        if check.status == "fail" and probe.gate:
            report.not_run = [p.name for p in probes[index + 1 :]]
            break
    return report


_MARKS: dict[Level, tuple[str, str]] = {
    "ok": ("ok  ", "green"),
    "warn": ("warn", "yellow"),
    "fail": ("FAIL", "red"),
}


def render_text(report: Report, style: Callable[[str, str], str]) -> str:
    """One line per check (its hint indented under it), then a count."""
    width = max((len(c.name) for c in report.checks), default=0)
    named = report.provider in report.target
    lines = [f"doctor: {report.target}" + ("" if named else f" (provider {report.provider})")]
    for check in report.checks:
        mark, colour = _MARKS[check.status]
        lines.append(f"{style(mark, colour)} {check.name.ljust(width)}  {check.detail}")
        if check.hint and check.status != "ok":
            lines.append(f"     {' ' * width}  -> {check.hint}")
    counts = {level: sum(1 for c in report.checks if c.status == level) for level in _MARKS}
    summary = f"{counts['fail']} failed, {counts['warn']} warning(s), {counts['ok']} ok"
    if report.not_run:
        summary += f"; not run (they need the failed check): {', '.join(report.not_run)}"
    lines.append(summary + ".")
    return "\n".join(lines)
