"""schemas/targets.schema.json is generated from the targets model and agrees with it."""

from __future__ import annotations

import json

import jsonschema
import yaml

from reconciler.targets import parse_targets, render_schema
from tests.paths import ROOT
from tests.test_targets_file import TWO

SCHEMA = ROOT / "schemas" / "targets.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


def test_the_committed_targets_schema_is_up_to_date() -> None:
    assert SCHEMA.read_text() == render_schema(), "schema is stale: run `make schema`"


def test_a_valid_targets_file_validates_against_the_schema() -> None:
    parse_targets(TWO)
    validator().validate(yaml.safe_load(TWO))


def test_the_schema_rejects_what_the_model_rejects() -> None:
    doc = yaml.safe_load(TWO)
    doc["targets"][0]["clientIdEnvv"] = "X"
    doc["targets"][0]["apiBase"] = "ftp://x"
    doc["targets"][1]["campaigns"] = "../up"
    doc["targets"][1]["name"] = "US"
    messages = sorted(e.message for e in validator().iter_errors(doc))
    assert any("clientIdEnvv" in m for m in messages)
    assert any("ftp://x" in m for m in messages)
    assert any("../up" in m for m in messages)
    assert any("'US'" in m for m in messages)
