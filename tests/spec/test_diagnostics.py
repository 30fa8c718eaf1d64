"""Every problem that can be determined is reported, in the project's words, never pydantic's."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.loader import load
from tests.specs import spec_text

ADAPTIVE = "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.05}\n"
EARLY = '  schedule: {timeZone: America/New_York, windows: [{days: [MON], start: "07:00", end: "12:00"}]}\n'


def diagnostics(tmp_path: Path, text: str) -> list[Diagnostic]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return load([str(path)]).diagnostics


def messages(tmp_path: Path, text: str) -> list[str]:
    return [f"c.yaml:{d.line}:{d.column}: {d.severity}: {d.message}" for d in diagnostics(tmp_path, text)]


def test_a_structural_error_does_not_hide_compliance_or_window_errors(tmp_path: Path) -> None:
    text = (
        spec_text()
        .replace("maxConcurrent: 20}", "maxConcurrent: 20, burst: 3}")
        .replace("labels: {team: sales}", "labels: {managed-by: me}")
        + ADAPTIVE
        + EARLY
    )
    found = "\n".join(messages(tmp_path, text))
    assert "unknown field 'burst' in spec.pacing" in found
    assert "maxAbandonRate 0.05 is above the FCC/TCPA cap" in found
    assert (
        "calling window start 07:00 is outside TCPA calling hours (08:00-21:00 in America/New_York)" in found
    )
    assert "label 'managed-by' is reserved" in found


def test_one_bad_window_does_not_hide_another(tmp_path: Path) -> None:
    text = spec_text(
        extra="  schedule:\n    timeZone: Mars/Olympus\n    windows:\n"
        '      - {days: [MOON], start: "09:00", end: "12:00"}\n'
        '      - {days: [MON], start: "12:00", end: "22:00"}\n'
    )
    found = "\n".join(messages(tmp_path, text))
    assert "c.yaml:17:17: error: spec.schedule.windows.0.days.0: must be 'MON', 'TUE'" in found
    assert "calling window end 22:00 is outside TCPA calling hours" in found
    assert "unknown time zone 'Mars/Olympus'" in found


def test_an_invalid_opt_out_is_reported_once_not_as_a_missing_opt_out(tmp_path: Path) -> None:
    text = spec_text(extra=ADAPTIVE + "  complianceOptOuts: {maxAbandonRate: {reason: short}}\n")
    (only,) = messages(tmp_path, text)
    assert "spec.complianceOptOuts.maxAbandonRate.reason: must be at least 10 characters" in only


def test_checks_still_run_when_a_custom_tag_spoils_one_field(tmp_path: Path) -> None:
    text = spec_text().replace("description: test campaign", "description: !!binary aGk=") + ADAPTIVE
    found = "\n".join(messages(tmp_path, text))
    assert "tag !!binary is not allowed" in found and "maxAbandonRate 0.05 is above" in found


PYDANTIC_PHRASES = ("Input should", "valid tuple", "Tuple should", "type=", "pydantic", "should have at")
BAD: dict[str, tuple[str, str]] = {
    "days a scalar": ("days: [MON]", "days: MON"),
    "days empty": ("days: [MON]", "days: []"),
    "days null": ("days: [MON]", "days: null"),
    "days a mapping": ("days: [MON]", "days: {MON: 1}"),
    "windows empty": ("windows: [{days: [MON]", "windows: [], w: [{days: [MON]"),
    "windows a string": ("windows: [{days", 'windows: "x", w: [{days'),
    "start a number": ('start: "09:00"', "start: 900"),
    "start a list": ('start: "09:00"', "start: [9]"),
    "zone empty": ("timeZone: America/New_York", "timeZone: ''"),
    "zone a number": ("timeZone: America/New_York", "timeZone: 5"),
    "pacing a list": ("pacing: {callsPerMinute: 10, maxConcurrent: 20}", "pacing: [10, 20]"),
    "pacing a string": ("pacing: {callsPerMinute: 10, maxConcurrent: 20}", "pacing: fast"),
    "pacing null": ("pacing: {callsPerMinute: 10, maxConcurrent: 20}", "pacing: null"),
    "cpm huge": ("callsPerMinute: 10", "callsPerMinute: 1e400"),
    "cpm nan": ("callsPerMinute: 10", "callsPerMinute: .nan"),
    "cpm negative": ("callsPerMinute: 10", "callsPerMinute: -1"),
    "cpm list": ("callsPerMinute: 10", "callsPerMinute: [10]"),
    "dnc list ids a string": ("listIds: [DNC-INTERNAL]", "listIds: DNC-INTERNAL"),
    "dnc list ids nested": ("listIds: [DNC-INTERNAL]", "listIds: [[DNC-INTERNAL]]"),
    "dnc list id a number": ("listIds: [DNC-INTERNAL]", "listIds: [7]"),
    "dnc a list": ("dnc: {enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}", "dnc: []"),
    "labels a list": ("labels: {team: sales}", "labels: [team]"),
    "labels too many": (
        "labels: {team: sales}",
        "labels: {" + ", ".join(f"k{i}: v" for i in range(40)) + "}",
    ),
    "label key empty": ("labels: {team: sales}", "labels: {'': sales}"),
    "label value a mapping": ("labels: {team: sales}", "labels: {team: {a: b}}"),
    "name a number": ("name: Test-Campaign", "name: 2024"),
    "name a list": ("name: Test-Campaign", "name: [a]"),
    "metadata a string": ("metadata:\n  name: Test-Campaign\n  labels: {team: sales}", "metadata: x"),
    "spec a list": ("state: stopped", "state: [stopped]"),
    "api version wrong": ("apiVersion: cxone.reconciler/v1", "apiVersion: v2"),
    "kind a number": ("kind: Campaign", "kind: 1"),
    "dialer lower case": ("PREDICTIVE", "predictive"),
    "dialer a bool": ("dialerType: PREDICTIVE", "dialerType: true"),
    "launch a string": ("launch: {pollInterval: 50ms, pollJitter: 10ms, timeout: 20s}", "launch: soon"),
    "duration a list": ("timeout: 20s", "timeout: [20s]"),
    "duration null": ("timeout: 20s", "timeout: null"),
    "description long": ("description: test campaign", "description: " + "x" * 1100),
    "rules a mapping": ("maxAbandonRate: 0.03", "maxAbandonRate: 0.03, rules: {a: b}"),
    "rule empty": ("maxAbandonRate: 0.03", "maxAbandonRate: 0.03, rules: [{}]"),
    "rule when a list": (
        "maxAbandonRate: 0.03",
        "maxAbandonRate: 0.03, rules: [{when: [], set: {maxConcurrent: 2}}]",
    ),
    "comparison a number": (
        "maxAbandonRate: 0.03",
        "maxAbandonRate: 0.03, rules: [{when: {answerRate: 3}, set: {maxConcurrent: 2}}]",
    ),
    "opt-outs a list": ("maxAbandonRate: 0.03", "maxAbandonRate: 0.03}\n  complianceOptOuts: [x]\n  x: {"),
    "reason a number": (
        "maxAbandonRate: 0.03",
        "maxAbandonRate: 0.03}\n  complianceOptOuts: {callingHours: {reason: 12345678901}}\n  x: {",
    ),
    "adaptive null": ("adaptivePacing: {", "adaptivePacing: null\n  y: {"),
    "interval a number": ("maxAbandonRate: 0.03", "maxAbandonRate: 0.03, interval: 30"),
}
BASE = spec_text(
    extra='  schedule: {timeZone: America/New_York, windows: [{days: [MON], start: "09:00", end: "17:00"}]}\n'
    "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.03}\n"
)


def test_the_base_of_the_table_is_valid(tmp_path: Path) -> None:
    assert messages(tmp_path, BASE) == []


@pytest.mark.parametrize("case", list(BAD))
def test_no_pydantic_wording_reaches_the_user(tmp_path: Path, case: str) -> None:
    old, new = BAD[case]
    assert old in BASE
    found = [d.message for d in diagnostics(tmp_path, BASE.replace(old, new, 1))]
    assert found, "expected at least one error"
    assert not any(m.startswith("YAML syntax error") for m in found), found
    for message in found:
        assert not any(p.lower() in message.lower() for p in PYDANTIC_PHRASES), message
