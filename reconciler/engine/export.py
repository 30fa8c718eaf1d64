"""Live campaigns -> spec documents and their file names (pure: no I/O).

The document says exactly what the tenant holds, so that plan on it finds
nothing to do. ``state`` is ``running`` for QUEUED, INITIALIZING and RUNNING
and ``stopped`` for everything else: a STOPPING campaign is on its way to
stopped; an ERROR one written ``running`` would be restarted by the next
apply; a COMPLETED one has dialled its whole list and is not dialling, and
plan leaves a COMPLETED campaign alone either way, so ``stopped`` says what
it does now (set ``running`` again with a fresh list to dial it).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reconciler.spec.checks import check_campaign
from reconciler.spec.models import API_VERSION, MANAGED_BY_KEY, MANAGED_BY_VALUE, PROVIDER_CAMPAIGNS, Campaign
from reconciler.spec.source import SourceMap
from reconciler.spec.validation import diagnostics_from
from reconciler.tenant import ACTIVE, LiveCampaign, Status

__all__ = ["Selection", "document", "file_names", "inexpressible", "select", "state_of"]

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
"""Names Windows will not create a file for, whatever the extension."""
SLUG_LENGTH = 80


def state_of(status: Status) -> str:
    return "running" if status in ACTIVE else "stopped"


def document(campaign: LiveCampaign) -> dict[str, Any]:
    """The spec document of a live campaign (any order; the writer makes it canonical)."""
    definition = dict(campaign.definition)
    labels = {k: v for k, v in sorted((definition.get("labels") or {}).items()) if k != MANAGED_BY_KEY}
    spec = {
        "description": definition.get("description", ""),
        "dialerType": definition["dialerType"],
        "contactListId": definition["contactListId"],
        "dnc": definition["dnc"],
        "pacing": {k: v for k, v in (definition.get("pacing") or {}).items() if v is not None} or None,
        "schedule": definition.get("schedule"),
        "state": state_of(campaign.status),
        "acd": {k: v for k, v in (definition.get("acd") or {}).items() if v is not None} or None,
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "Campaign",
        "metadata": {"name": campaign.name, "labels": labels},
        "spec": {k: v for k, v in spec.items() if v is not None},
    }


def inexpressible(
    campaign: LiveCampaign, doc: dict[str, Any], provider: str = PROVIDER_CAMPAIGNS
) -> list[str]:
    """Why the spec cannot say what this campaign is (empty when it can): validate will say the same."""
    found: list[str] = []
    other = (campaign.definition.get("labels") or {}).get(MANAGED_BY_KEY)
    if other is not None and other != MANAGED_BY_VALUE:
        found.append(
            f"label {MANAGED_BY_KEY}: {other} (another tool manages it) is not written: "
            "the ownership label is the reconciler's, and apply --adopt would replace it"
        )
    try:
        model = Campaign.model_validate(doc)
    except ValidationError as invalid:
        found += [d.message for d in diagnostics_from("", invalid, SourceMap.of({}, {}))]
        return found
    found += [
        f"{field}: {message}"
        for field, severity, message in check_campaign(model, provider)
        if severity == "error"
    ]
    return found


@dataclass(frozen=True)
class Selection:
    """The campaigns to export, and the globs that chose nothing."""

    campaigns: tuple[LiveCampaign, ...]
    unmatched: tuple[str, ...] = ()
    """--name globs that match no campaign at all."""
    only_unowned: tuple[str, ...] = ()
    """--name globs that match campaigns, none of them owned (--all would export them)."""


def select(live: Iterable[LiveCampaign], globs: Sequence[str], *, everything: bool) -> Selection:
    """Owned campaigns (every one with ``everything``) whose names match any glob (case-sensitive)."""
    pool = list(live)
    allowed = [c for c in pool if everything or c.owned]

    def matches(campaign: LiveCampaign, pattern: str) -> bool:
        return fnmatch.fnmatchcase(campaign.name, pattern)

    chosen = [c for c in allowed if not globs or any(matches(c, g) for g in globs)]
    unmatched = tuple(g for g in globs if not any(matches(c, g) for c in pool))
    only_unowned = tuple(g for g in globs if g not in unmatched and not any(matches(c, g) for c in allowed))
    return Selection(tuple(sorted(chosen, key=lambda c: c.name)), unmatched, only_unowned)


def _suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _slug(name: str) -> str:
    slug = _UNSAFE.sub("-", name).strip("-._")[:SLUG_LENGTH].rstrip("-._")
    return slug or "campaign"


def file_names(names: Iterable[str]) -> dict[str, str]:
    """A file name for each campaign name, unique even on a case-insensitive file system.

    A plain name (letters, digits, '.', '_', '-', not starting with a dot) is
    its own file name; any other name, and every name but the first (in sorted
    order) that would share a file name with another, gets a slug and a suffix
    from a hash of the whole name: stable however the tenant's list grows.
    """
    wanted = sorted(set(names))
    result: dict[str, str] = {}
    taken: set[str] = set()
    plain = [n for n in wanted if _PLAIN.fullmatch(n) and n.split(".")[0].lower() not in _RESERVED]
    for name in plain:
        if name.casefold() not in taken:
            result[name] = name
            taken.add(name.casefold())
    for name in wanted:
        if name in result:
            continue
        stem, extra = f"{_slug(name)}-{_suffix(name)}", 0
        while stem.casefold() in taken:  # a hash clash: only ever by construction
            extra += 1
            stem = f"{_slug(name)}-{_suffix(name)}-{extra}"
        result[name] = stem
        taken.add(stem.casefold())
    return {name: f"{stem}.yaml" for name, stem in result.items()}
