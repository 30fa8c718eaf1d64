"""schemas/campaign.schema.json is generated from the models and validates the examples."""

from __future__ import annotations

import json

import jsonschema
import yaml

from reconciler.spec.schema import render
from tests.paths import ROOT

SCHEMA = ROOT / "schemas" / "campaign.schema.json"


def test_the_committed_schema_is_up_to_date() -> None:
    assert SCHEMA.read_text() == render(), "schema is stale: run `make schema`"


def test_the_examples_validate_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    documents = [
        doc
        for path in sorted((ROOT / "campaigns").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
    ]
    assert len(documents) == 4
    for doc in documents:
        validator.validate(doc)


def test_the_schema_rejects_unknown_fields_and_bad_durations() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    doc = yaml.safe_load((ROOT / "campaigns" / "q3-enterprise.yaml").read_text())
    doc["spec"]["pacing"]["callsPerMinut"] = 3
    doc["spec"]["launch"]["timeout"] = "ten minutes"
    messages = sorted(e.message for e in validator.iter_errors(doc))
    assert any("callsPerMinut" in m for m in messages)
    assert any("ten minutes" in m for m in messages)
