"""Render plans and apply results as text, Markdown or JSON (pure).

Tenant-provided text (names, ids, statuses, notes, warnings, field paths and
values, error messages) is escaped for the medium by ``reconciler.escape``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import ACTIONS, Change, Plan
from reconciler.engine.risks import risks
from reconciler.escape import md_code, md_html, md_span, md_text, visible

__all__ = [
    "COMMENT_LIMIT",
    "PLAN_RENDERERS",
    "RISKS_LISTED",
    "fit",
    "plan_json",
    "render_json",
    "render_markdown",
    "render_outcomes",
    "render_text",
    "risks",
]

Style = Callable[[str, str], str]
COMMENT_LIMIT = 65_536
"""GitHub's limit on one comment; Markdown plans stay under it."""
RISKS_LISTED = 50

_SYMBOL = {"create": "+", "delete": "-", "adopt": "*"}
_COLOUR = {"+": "green", "-": "red", "*": "cyan", "~": "yellow"}


def _plain(text: str, _: str) -> str:
    return text


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def _symbol(change: Change) -> str:
    return next((_SYMBOL[a] for a in ("create", "delete", "adopt") if a in change.actions), "~")


def _counts(plan: Plan) -> str:
    summary = plan.summary
    parts = [f"{summary[a]} to {a}" for a in ACTIONS if summary[a]]
    return ", ".join([*parts, f"{summary['unchanged']} unchanged"])


def plan_json(plan: Plan) -> dict[str, Any]:
    """The JSON plan of product.md section 4, each change with its ``risks`` after its ``fields``.

    Only the output gains ``risks``: the saved plan and the fingerprint do not carry them.
    """
    data = plan.to_json()
    data["changes"] = [
        _with_risks(shown, change) for shown, change in zip(data["changes"], plan.changes, strict=True)
    ]
    return data


def _with_risks(shown: dict[str, Any], change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in shown.items():
        out[key] = value
        if key == "fields":
            out["risks"] = list(risks(change))
    out.setdefault("risks", list(risks(change)))
    return out


def render_json(plan: Plan) -> str:
    return json.dumps(plan_json(plan), indent=2)


def render_text(plan: Plan, style: Style = _plain) -> str:
    lines = [f"Target: {visible(plan.target)}"]
    if not plan.has_changes:
        lines.append(style("No changes. The tenant matches the specs.", "green"))
    for change in plan.changes:
        symbol = _symbol(change)
        ident = f" {visible(change.campaign_id)}" if change.campaign_id else ""
        status = f" [{visible(change.status)}]" if change.status else ""
        head = f"{symbol} {visible(change.name)}{ident}{status}: {', '.join(change.actions)}"
        lines.append("")
        lines.append(style(head, _COLOUR[symbol]))
        for risk in risks(change):
            lines.append(style(f"    ! {visible(risk)}", "yellow"))
        for note in change.notes:
            lines.append(style(f"    note: {visible(note)}", "yellow"))
        for f in change.fields:
            lines.append(f"    {visible(f.path)}: {visible(_value(f.before))} -> {visible(_value(f.after))}")
    shown = {f"{c.name}: {note}" for c in plan.changes for note in c.notes}
    others = [w for w in plan.warnings if w not in shown]
    if others:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(style(f"  - {visible(w)}", "yellow") for w in others)
    lines.append("")
    lines.append(f"Plan: {_counts(plan)}.")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "_none_" if value is None else md_code(_value(value))


def render_markdown(plan: Plan, limit: int = COMMENT_LIMIT) -> str:
    summary = plan.summary
    head = [
        "### cxone-reconciler plan",
        "",
        f"Target: {md_span(plan.target)}",
        "",
        "| create | adopt | update | stop | start | delete | unchanged |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        "| "
        + " | ".join(
            str(summary[k]) for k in ("create", "adopt", "update", "stop", "start", "delete", "unchanged")
        )
        + " |",
        "",
    ]
    if not plan.has_changes:
        head.append("**No changes.** The tenant matches the specs.")
    risky = [(c, risks(c)) for c in plan.changes if risks(c)]
    if risky:
        head.append("#### :warning: Needs a careful review")
        head.append("")
        head.extend(f"- **{md_text(c.name)}**: {md_text('; '.join(r))}" for c, r in risky[:RISKS_LISTED])
        if len(risky) > RISKS_LISTED:
            head.append(f"- … and {len(risky) - RISKS_LISTED} more")
        head.append("")
    tail = []
    if plan.warnings:
        tail = ["", "#### Warnings", "", *(f"- {md_text(w)}" for w in plan.warnings)]
    tail += ["", f"<sub>fingerprint `{plan.fingerprint}`</sub>"]
    budget = limit - len("\n".join(head + tail)) - 200
    sections = fit(
        (_markdown_section(c) for c in plan.changes),
        budget,
        lambda rest: (
            f"\n_… and {rest} more campaign(s) not shown to stay under GitHub's comment limit; "
            "see `plan --format json` for the full plan._"
        ),
        total=len(plan.changes),
    )
    return "\n".join([*head, *sections, *tail])


def fit(sections: Iterable[str], budget: int, overflow: Callable[[int], str], *, total: int) -> list[str]:
    """As many sections as fit in ``budget`` characters (each joined by a newline), then a line
    saying how many of the ``total`` were left out."""
    kept: list[str] = []
    for section in sections:
        if len(section) + 1 > budget:
            kept.append(overflow(total - len(kept)))
            break
        kept.append(section)
        budget -= len(section) + 1
    return kept


def _markdown_section(change: Change) -> str:
    ident = f" <code>{md_html(change.campaign_id)}</code>" if change.campaign_id else ""
    flag = " :warning:" if risks(change) else ""
    lines = [
        "<details>",
        f"<summary><code>{_symbol(change)}</code> <b>{md_html(change.name)}</b>{ident}: "
        f"{', '.join(change.actions)}{flag}</summary>",
        "",
    ]
    if change.fields:
        lines += ["| field | before | after |", "|---|---|---|"]
        lines += [f"| {md_code(f.path)} | {_cell(f.before)} | {_cell(f.after)} |" for f in change.fields]
    else:
        lines.append("_no field changes_")
    lines += ["", "</details>"]
    return "\n".join(lines)


def render_outcomes(
    outcomes: Sequence[Outcome], target: str, *, requests: int | None = None, rate_limited: int = 0
) -> str:
    traffic = f" {requests} API requests sent, {rate_limited} answered 429." if requests is not None else ""
    if not outcomes:
        return f"Nothing to do on {visible(target)}.{traffic}"
    names = {id(o): visible(o.name) for o in outcomes}
    width = max(len(name) for name in names.values())
    lines = [f"Applied to {visible(target)}:", ""]
    for o in outcomes:
        done = ", ".join(o.done) or "-"
        if o.ok:
            result = "ok"
        elif o.error and o.in_flight is not None:
            result = (
                f"FAILED at {o.failed_action}: {visible(o.error)} "
                "(the request was sent, its outcome not seen: plan again to see it)"
            )
        elif o.error:
            result = f"FAILED at {o.failed_action}: {visible(o.error)}"
        elif o.in_flight is not None:
            result = f"interrupted: {o.in_flight} sent, its outcome not seen (plan again to see it)"
        else:
            result = "interrupted before anything more was sent"
        lines.append(f"  {names[id(o)]:<{width}}  done: {done:<30} {result}")
        lines.extend(f"  {'':<{width}}  note: {visible(note)}" for note in o.notes)
    ok = sum(o.ok for o in outcomes)
    failed = sum(o.error is not None for o in outcomes)
    interrupted = sum(o.interrupted for o in outcomes)
    lines += ["", f"{ok} applied, {failed} failed, {interrupted} interrupted.{traffic}"]
    if failed or interrupted:
        lines.append("Run apply again once the cause is fixed: it picks up where this run left off.")
    return "\n".join(lines)


PLAN_RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
"""The plan's renderers by --format. "text" is uncoloured; for colour, call
``render_text(plan, style)`` (or ``{**PLAN_RENDERERS, "text": partial(render_text, style=style)}``)."""
