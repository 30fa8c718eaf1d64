"""One strictness table, three judges: `reconciler validate`, the published JSON Schema, the emulator.

The spec table's cases that the API shares (integers, booleans, text, label
values, calling times) are sent to the emulator as the create body the spec
would make; it must give the verdict the schema gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.spec.yaml_reader import parse_documents
from tests.emulator.test_app import bearer
from tests.spec.test_strict import CASES, cli_verdict, schema_verdict

SHARED = [
    case
    for case in CASES
    if case.startswith(("int ", "bool ", "description ", "time ", "label yes", "label number", "the base"))
]


def api_body(text: str) -> dict[str, Any]:
    (document,) = parse_documents(text)
    spec = dict(document.data["spec"])
    body = {"name": document.data["metadata"]["name"], "labels": document.data["metadata"].get("labels", {})}
    for field in ("description", "dialerType", "pacing", "contactListId", "dnc", "schedule"):
        if field in spec:
            body[field] = spec[field]
    return body


async def emulator_verdict(raw: httpx.AsyncClient, text: str) -> bool:
    response = await raw.post("/api/campaigns", json=api_body(text), headers=await bearer(raw))
    assert response.status_code in (201, 400), response.text
    return response.status_code == 201


def test_the_shared_cases_cover_every_kind() -> None:
    assert len(SHARED) >= 15
    assert {CASES[c][1] for c in SHARED} == {True, False}


@pytest.mark.parametrize("case", SHARED)
async def test_validate_the_schema_and_the_emulator_agree(
    raw: httpx.AsyncClient, tmp_path: Path, case: str
) -> None:
    text, valid = CASES[case]
    verdicts = (cli_verdict(tmp_path, text), schema_verdict(text), await emulator_verdict(raw, text))
    assert verdicts == (valid, valid, valid)
