"""Review policy: what a reviewer must not miss in a change (pure).

Every plan format carries these flags: text and Markdown call them out,
and the JSON plan lists them per change under ``risks``.
"""

from __future__ import annotations

from reconciler.engine.plan import COMPLIANCE_FIELDS, Change

__all__ = ["risks"]


def risks(change: Change) -> tuple[str, ...]:
    """What a reviewer must not miss in this change, most disruptive first."""
    found: list[str] = []
    if change.restarts:
        found.append("restarts live dialing")
    elif "start" in change.actions:
        found.append("starts dialing")
    elif "stop" in change.actions:
        found.append("stops live dialing")
    if "delete" in change.actions:
        found.append("deletes the campaign")
    compliance = sorted(
        {f.top for f in change.fields if f.top in COMPLIANCE_FIELDS and "create" not in change.actions}
    )
    if compliance:
        found.append(f"changes compliance fields: {', '.join(compliance)}")
    return tuple(found)
