"""`reconciler validate` and the published JSON Schema give the same verdict on every input.

Each case is one edit of an otherwise valid spec. The CLI reads the file; the
schema checks the data the project's YAML reader (YAML 1.2 core) makes of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.spec.yaml_reader import parse_documents
from tests.paths import ROOT
from tests.specs import spec_text

SCHEMA = json.loads((ROOT / "schemas" / "campaign.schema.json").read_text())
ADAPTIVE = "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, %s}\n"
WINDOW = '  schedule: {timeZone: America/New_York, windows: [{days: [MON], start: %s, end: "17:00"}]}\n'
OPT_OUT = "  complianceOptOuts: {callingHours: {reason: %s}}\n"
PACING = "pacing: {callsPerMinute: 10, maxConcurrent: 20}"
DNC = "dnc: {enforceNational: true,"
LAUNCH = "launch: {pollInterval: 50ms, pollJitter: 10ms, timeout: 20s}"


def edit(old: str, new: str) -> str:
    text = spec_text()
    assert old in text
    return text.replace(old, new)


CASES: dict[str, tuple[str, bool]] = {
    "the base spec": (spec_text(), True),
    "int quoted": (edit(PACING, 'pacing: {callsPerMinute: "10", maxConcurrent: 20}'), False),
    "int as integral float": (edit(PACING, "pacing: {callsPerMinute: 10.0, maxConcurrent: 20}"), True),
    "int as fraction": (edit(PACING, "pacing: {callsPerMinute: 10.5, maxConcurrent: 20}"), False),
    "int as boolean": (edit(PACING, "pacing: {callsPerMinute: true, maxConcurrent: 20}"), False),
    "int null": (edit(PACING, "pacing: {callsPerMinute: null, maxConcurrent: 20}"), False),
    "int empty": (edit(PACING, "pacing: {callsPerMinute: , maxConcurrent: 20}"), False),
    "int hex (YAML 1.2)": (edit(PACING, "pacing: {callsPerMinute: 0xA, maxConcurrent: 20}"), True),
    "int leading zero is decimal": (edit(PACING, "pacing: {callsPerMinute: 010, maxConcurrent: 20}"), True),
    "bool quoted": (edit(DNC, 'dnc: {enforceNational: "true",'), False),
    "bool yes": (edit(DNC, "dnc: {enforceNational: yes,"), False),
    "bool on": (edit(DNC, "dnc: {enforceNational: on,"), False),
    "bool no": (edit(DNC, "dnc: {enforceNational: no,"), False),
    "bool off": (edit(DNC, "dnc: {enforceNational: off,"), False),
    "bool y": (edit(DNC, "dnc: {enforceNational: y,"), False),
    "bool 1": (edit(DNC, "dnc: {enforceNational: 1,"), False),
    "bool True (YAML 1.2)": (edit(DNC, "dnc: {enforceNational: True,"), True),
    "bool null": (edit(DNC, "dnc: {enforceNational: null,"), False),
    "float as int": (spec_text(extra=ADAPTIVE % "maxAbandonRate: 0"), True),
    "float quoted": (spec_text(extra=ADAPTIVE % 'maxAbandonRate: "0.03"'), False),
    "float as boolean": (spec_text(extra=ADAPTIVE % "maxAbandonRate: false"), False),
    "float null": (spec_text(extra=ADAPTIVE % "maxAbandonRate: null"), False),
    "operator as int": (
        spec_text(extra=ADAPTIVE % "rules: [{when: {activeCalls: {gte: 1}}, set: {maxConcurrent: 5}}]"),
        True,
    ),
    "no operator": (
        spec_text(extra=ADAPTIVE % "rules: [{when: {activeCalls: {}}, set: {maxConcurrent: 5}}]"),
        False,
    ),
    "null operator": (
        spec_text(extra=ADAPTIVE % "rules: [{when: {activeCalls: {lt: null}}, set: {maxConcurrent: 5}}]"),
        False,
    ),
    "null condition": (
        spec_text(extra=ADAPTIVE % "rules: [{when: {answerRate: null}, set: {maxConcurrent: 5}}]"),
        False,
    ),
    "empty set": (spec_text(extra=ADAPTIVE % "rules: [{when: {answerRate: {lt: 1}}, set: {}}]"), False),
    "interval under 1s": (spec_text(extra=ADAPTIVE % "interval: 500ms"), False),
    "interval 0.1m": (spec_text(extra=ADAPTIVE % "interval: 0.1m"), True),
    "interval 0.01m": (spec_text(extra=ADAPTIVE % "interval: 0.01m"), False),
    "time quoted": (spec_text(extra=WINDOW % '"09:00"'), True),
    "time unquoted is a string in YAML 1.2": (spec_text(extra=WINDOW % "09:00"), True),
    "time without leading zero": (spec_text(extra=WINDOW % "9:00"), False),
    "time quoted without leading zero": (spec_text(extra=WINDOW % "'9:00'"), False),
    "time as number": (spec_text(extra=WINDOW % "900"), False),
    "schedule null": (spec_text(extra="  schedule: null\n"), True),
    "description null": (edit("description: test campaign", "description: null"), False),
    "description number": (edit("description: test campaign", "description: 123"), False),
    "label yes is a string": (edit("labels: {team: sales}", "labels: {team: yes}"), True),
    "label number": (edit("labels: {team: sales}", "labels: {team: 3}"), False),
    "days not a list": (spec_text(extra=WINDOW.replace("[MON]", "MON") % '"09:00"'), False),
    "duration zero": (edit(LAUNCH, "launch: {pollInterval: 0s, pollJitter: 10ms, timeout: 20s}"), False),
    "duration zero jitter": (edit(LAUNCH, "launch: {pollInterval: 1s, pollJitter: 0s, timeout: 20s}"), True),
    "duration spaced": (edit(LAUNCH, "launch: {pollInterval: ' 3s', pollJitter: 10ms, timeout: 20s}"), False),
    "duration number": (edit(LAUNCH, "launch: {pollInterval: 3, pollJitter: 10ms, timeout: 20s}"), False),
    "state null": (edit("state: stopped", "state: null"), False),
    "contact list path": (spec_text(list_id="../../oauth/token"), False),
    "contact list query": (spec_text(list_id="'CL-839201-AJF2?x=1#'"), False),
    "contact list as number": (spec_text(list_id="839201"), False),
    "contact list quoted number": (spec_text(list_id="'839201'"), True),
    "DNC list path": (spec_text(dnc="../x"), False),
    "name with a newline": (spec_text(name='"a\\nb"'), False),
    "name with a bidi override": (spec_text(name='"a\\u202eb"'), False),
    "name with a C1 control": (spec_text(name='"a\\x85b"'), False),
    "name with spaces and accents": (spec_text(name="'Relance été 2025'"), True),
    "label key with a tab": (edit("labels: {team: sales}", 'labels: {"te\\tam": sales}'), False),
    "reason of spaces": (spec_text(extra=OPT_OUT % "'            '"), False),
    "reason padded to 10": (spec_text(extra=OPT_OUT % "'     short'"), False),
    "reason of 10": (spec_text(extra=OPT_OUT % "'  0123456789  '"), True),
    "label value with DEL": (edit("labels: {team: sales}", 'labels: {team: "s\\x7f"}'), False),
}


def cli_verdict(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result.exit_code == 0


def schema_verdict(text: str) -> bool:
    (document,) = parse_documents(text)
    return jsonschema.Draft202012Validator(SCHEMA).is_valid(document.data)


@pytest.mark.parametrize("case", list(CASES))
def test_validate_and_the_schema_agree(tmp_path: Path, case: str) -> None:
    text, valid = CASES[case]
    assert (cli_verdict(tmp_path, text), schema_verdict(text)) == (valid, valid)


@pytest.mark.parametrize(("word", "fix"), [("yes", "true"), ("on", "true"), ("off", "false"), ("n", "false")])
def test_a_yaml_11_boolean_says_what_to_write(tmp_path: Path, word: str, fix: str) -> None:
    (tmp_path / "c.yaml").write_text(edit(DNC, f"dnc: {{enforceNational: {word},"))
    output = CliRunner().invoke(main, ["validate", str(tmp_path)]).output
    assert (
        f"spec.dnc.enforceNational: must be true or false; `{word}` is a string in YAML 1.2 - write {fix}"
        in output
    )


def test_a_quoted_number_says_to_drop_the_quotes(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(edit(PACING, 'pacing: {callsPerMinute: "10", maxConcurrent: 20}'))
    output = CliRunner().invoke(main, ["validate", str(tmp_path)]).output
    assert (
        "c.yaml:11:28: error: spec.pacing.callsPerMinute: must be a whole number, e.g. 10; '10' is text"
        in output
    )
