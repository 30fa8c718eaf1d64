"""Helpers that write campaign spec files for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

VALID = """\
apiVersion: cxone.reconciler/v1
kind: Campaign
metadata:
  name: {name}
  labels: {{team: sales}}
spec:
  description: test campaign
  dialerType: {dialer}
  contactListId: {list_id}
  dnc: {{enforceNational: true, enforceLocal: true, listIds: [{dnc}]}}
  pacing: {{callsPerMinute: {cpm}, maxConcurrent: 20}}
  state: {state}
  launch: {{pollInterval: 50ms, pollJitter: 10ms, timeout: 20s}}
"""


def spec_text(
    name: str = "Test-Campaign",
    state: str = "stopped",
    *,
    dialer: str = "PREDICTIVE",
    cpm: int = 10,
    list_id: str = "CL-839201-AJF2",
    dnc: str = "DNC-INTERNAL",
    extra: str = "",
) -> str:
    return VALID.format(name=name, state=state, dialer=dialer, cpm=cpm, list_id=list_id, dnc=dnc) + extra


def spec_dict(name: str = "Test-Campaign", state: str = "stopped", **spec: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(spec_text(name, state))
    data["spec"].update(spec)
    return data


def write_spec(directory: Path, filename: str, *documents: dict[str, Any] | str) -> Path:
    path = directory / filename
    texts = [d if isinstance(d, str) else yaml.safe_dump(d, sort_keys=False) for d in documents]
    path.write_text("---\n".join(texts), encoding="utf-8")
    return path


def api_definition(name: str = "Q3-Enterprise-Outbound", **fields: Any) -> dict[str, Any]:
    """A campaign definition as the CXone API takes it (no spec around it)."""
    return {
        "name": name,
        "description": "renewals",
        "dialerType": "PREDICTIVE",
        "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
        "contactListId": "CL-839201-AJF2",
        "dnc": {"enforceNational": True, "enforceLocal": True, "listIds": ["DNC-INTERNAL"]},
        "schedule": None,
        "labels": {"team": "sales"},
        **fields,
    }
