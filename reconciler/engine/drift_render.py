"""Render a drift report as text, Markdown (an issue body) or JSON (pure).

Campaign names, label keys and values come from the tenant, where they may
hold anything: text escapes control characters, Markdown escapes what
Markdown and HTML would act on, and breaks @mentions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.engine.drift import Drift, DriftReport, Kind
from reconciler.engine.render import fit
from reconciler.escape import visible

__all__ = ["ISSUE_LIMIT", "render_json", "render_markdown", "render_text"]

Style = Callable[[str, str], str]
ISSUE_LIMIT = 65_536
"""GitHub's limit on an issue body; Markdown reports stay under it."""
TABLE_ROWS = 200

_SYMBOL = {Kind.CHANGED: "~", Kind.MISSING: "-", Kind.ORPHANED: "?", Kind.UNOWNED: "!"}
_COLOUR = {Kind.CHANGED: "yellow", Kind.MISSING: "red", Kind.ORPHANED: "cyan", Kind.UNOWNED: "magenta"}
_MEANING = {
    Kind.CHANGED: "the tenant differs from the spec",
    Kind.MISSING: "a spec declares it; the tenant has no such campaign",
    Kind.ORPHANED: "managed by cxone-reconciler, but no spec names it",
    Kind.UNOWNED: "a spec names it, but cxone-reconciler does not manage it",
}
_TODO = {
    Kind.CHANGED: "`reconciler apply` restores the spec; or change the spec to keep what is live",
    Kind.MISSING: "`reconciler apply` creates it; or delete the spec",
    Kind.ORPHANED: "write a spec for it (`reconciler export --name NAME`), or `apply --prune` deletes it",
    Kind.UNOWNED: "`apply --adopt` takes it over; or rename the spec",
}


def _plain(text: str, _: str) -> str:
    return text


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_PUNCTUATION = set("\\`*_{}[]()#+!|~")


def _md(text: str) -> str:
    """Tenant text made inert in an issue body: no markup, no HTML, no @mention, no line break.

    Backslash escapes and a zero-width space after @; control characters are
    made visible first by ``reconciler.escape.visible``, as everywhere else.
    """
    out = []
    for ch in visible(text):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_PUNCTUATION:
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@\u200b")  # a zero-width space after @ stops GitHub from notifying anyone
        else:
            out.append(ch)
    return "".join(out)


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2)


def _counts(report: DriftReport) -> str:
    return ", ".join(f"{report.count(k)} {k.value}" for k in Kind)


def render_text(report: DriftReport, style: Style = _plain) -> str:
    lines = [f"Target: {visible(report.target)}", ""]
    if not report.has_drift:
        lines.append(style("No drift. The tenant matches the specs.", "green"))
    else:
        lines.append(f"Drift in {len(report.drift)} campaign(s): {_counts(report)}.")
    for d in report.drift:
        ident = f" {visible(d.campaign_id)}" if d.campaign_id else ""
        flag = " [compliance]" if d.compliance else ""
        head = f"{_SYMBOL[d.kind]} {visible(d.name)}{ident}: {d.kind.value}{flag} ({_MEANING[d.kind]})"
        lines += ["", style(head, "red" if d.compliance else _COLOUR[d.kind])]
        for note in d.notes:
            lines.append(style(f"    note: {visible(note)}", "yellow"))
        for f in d.fields:
            lines.append(
                f"    {visible(f.path)}: expected {visible(_value(f.expected))}, "
                f"live {visible(_value(f.live))}"
            )
    lines += ["", f"Coverage: {report.coverage}."]
    kinds = [k for k in Kind if report.count(k)]
    if kinds:
        lines += ["", "What to do:"]
        lines += [f"  {k.value}: {_TODO[k]}" for k in kinds]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "_none_" if value is None else _md(_value(value))


def _section(d: Drift) -> str:
    ident = f" (`{_md(d.campaign_id).replace('`', '')}`)" if d.campaign_id else ""
    flag = " :warning: compliance" if d.compliance else ""
    lines = [f"#### {_md(d.name)}{ident}: {d.kind.value}{flag}", ""]
    lines += [f"> {_md(note)}" for note in d.notes]
    if d.notes:
        lines.append("")
    if d.fields:
        lines += ["| field | expected (spec) | live (tenant) |", "|---|---|---|"]
        lines += [f"| {_md(f.path)} | {_cell(f.expected)} | {_cell(f.live)} |" for f in d.fields]
    else:
        lines.append(f"_{_MEANING[d.kind]}._ To fix: {_TODO[d.kind]}.")
    lines.append("")
    return "\n".join(lines)


def render_markdown(report: DriftReport, limit: int = ISSUE_LIMIT) -> str:
    head = ["### cxone-reconciler drift", "", f"Target: `{report.target.replace('`', '')}`", ""]
    if not report.has_drift:
        head += ["**No drift.** The tenant matches the specs.", "", f"Coverage: {report.coverage}."]
        return "\n".join(head)
    compliance = sum(d.compliance for d in report.drift)
    head += [
        f"**{len(report.drift)} campaign(s) drifted**: {_counts(report)}."
        + (f" :warning: **{compliance} with compliance fields (dnc, schedule).**" if compliance else ""),
        "",
        f"Coverage: {report.coverage}.",
        "",
        "| campaign | kind | fields | compliance |",
        "|---|---|---:|---|",
    ]
    head += [
        f"| {_md(d.name)} | {d.kind.value} | {len(d.fields)} | {':warning: yes' if d.compliance else 'no'} |"
        for d in report.drift[:TABLE_ROWS]
    ]
    if len(report.drift) > TABLE_ROWS:
        head.append(f"| … and {len(report.drift) - TABLE_ROWS} more | | | |")
    head.append("")
    tail = ["#### What to do", "", *(f"- **{k.value}**: {_TODO[k]}" for k in Kind if report.count(k))]
    budget = limit - len("\n".join(head + tail)) - 200
    sections = fit(
        (_section(d) for d in report.drift),
        budget,
        lambda rest: (
            f"_… and {rest} more campaign(s) not shown to stay under GitHub's "
            "size limit; see `reconciler drift --format json`._\n"
        ),
        total=len(report.drift),
    )
    return "\n".join([*head, *sections, *tail])
