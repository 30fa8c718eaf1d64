"""Loading spec files: every class of bad input gives file:line:col, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.loader import MAX_ALIAS_NODES, load, require_specs
from tests.specs import spec_text, write_spec


def column_of(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


def only_error(tmp_path: Path, text: str | bytes) -> tuple[int, int, str]:
    path = tmp_path / "c.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = load([str(path)])
    assert not result.valid
    errors = result.errors
    assert len(errors) == 1, [e.format() for e in errors]
    assert errors[0].path == str(path)
    return errors[0].line, errors[0].column, errors[0].message


def test_a_valid_spec_loads_with_defaults(tmp_path: Path) -> None:
    write_spec(tmp_path, "ok.yaml", spec_text())
    result = load([str(tmp_path)])
    assert result.valid and result.files == 1
    campaign = result.campaigns[0].campaign
    assert campaign.spec.launch.timeout == 20.0
    assert campaign.spec.state == "stopped"
    assert campaign.definition()["labels"] == {"team": "sales", "managed-by": "cxone-reconciler"}


def test_several_documents_per_file_each_become_a_campaign(tmp_path: Path) -> None:
    write_spec(tmp_path, "two.yaml", spec_text("A"), spec_text("B"))
    assert [c.name for c in load([str(tmp_path)]).campaigns] == ["A", "B"]


def test_a_misspelt_field_points_at_the_key_and_suggests_the_name(tmp_path: Path) -> None:
    text = spec_text().replace("callsPerMinute: 10", "callsPerMinut: 10")
    errors = load([str(write_spec(tmp_path, "c.yaml", text))]).errors
    unknown = next(e for e in errors if "unknown field" in e.message)
    assert (unknown.line, unknown.column) == (11, column_of(text, 11, "callsPerMinut"))
    assert "did you mean 'callsPerMinute'?" in unknown.message


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("callsPerMinute: 10", "callsPerMinute: ten", 11, "must be a whole number"),
        ("callsPerMinute: 10", "callsPerMinute: 601", 11, "must be at most 600"),
        ("PREDICTIVE", "PREDICTIV", 8, "'PREDICTIVE', 'PROGRESSIVE'"),
        ("pollInterval: 50ms", "pollInterval: 3 sec", 13, "invalid duration '3 sec'"),
        ("state: stopped", "state: paused", 12, "'running' or 'stopped'"),
    ],
)
def test_a_bad_value_points_at_the_value(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    text = spec_text().replace(old, new)
    value = new.split(": ", 1)[1] if ": " in new else new
    assert only_error(tmp_path, text)[:2] == (line, column_of(text, line, value))
    assert words in only_error(tmp_path, text)[2]


def test_a_missing_field_points_at_the_mapping_that_lacks_it(tmp_path: Path) -> None:
    text = spec_text().replace(
        "  dnc: {enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}\n", ""
    )
    assert only_error(tmp_path, text) == (7, 3, "missing required field 'dnc' in spec")


def test_abandon_rate_above_the_legal_cap_is_an_error(tmp_path: Path) -> None:
    text = spec_text() + (
        "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.05}\n"
    )
    line, column, message = only_error(tmp_path, text)
    assert (line, column) == (14, column_of(text, 14, "0.05"))
    assert "FCC/TCPA" in message and "complianceOptOuts.maxAbandonRate" in message


def test_a_reasoned_opt_out_turns_the_abandon_cap_into_a_warning(tmp_path: Path) -> None:
    text = spec_text() + (
        "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.05}\n"
        "  complianceOptOuts:\n"
        "    maxAbandonRate: {reason: B2B numbers only; TCPA abandon rule does not apply}\n"
    )
    result = load([str(write_spec(tmp_path, "c.yaml", text))])
    assert result.valid
    assert [d.severity for d in result.diagnostics] == ["warning"]
    assert "opted out: B2B numbers only" in result.diagnostics[0].message


def test_an_opt_out_needs_a_written_reason(tmp_path: Path) -> None:
    text = spec_text() + "  complianceOptOuts: {callingHours: {reason: ok}}\n"
    assert "at least 10 characters" in only_error(tmp_path, text)[2]


@pytest.mark.parametrize(
    ("window", "at", "words"),
    [
        ('{days: [MON], start: "07:30", end: "20:00"}', '"07:30"', "start 07:30 is outside TCPA"),
        ('{days: [MON], start: "09:00", end: "21:30"}', '"21:30"', "end 21:30 is outside TCPA"),
        ('{days: [MON], start: "12:00", end: "10:00"}', '"10:00"', "ends (10:00) before it starts"),
    ],
)
def test_calling_windows_are_checked(tmp_path: Path, window: str, at: str, words: str) -> None:
    text = spec_text() + f"  schedule:\n    timeZone: America/New_York\n    windows: [{window}]\n"
    line, col, message = only_error(tmp_path, text)
    assert (line, col) == (16, column_of(text, 16, at))
    assert words in message


def test_an_unknown_time_zone_is_an_error(tmp_path: Path) -> None:
    text = spec_text() + (
        '  schedule: {timeZone: Mars/Olympus, windows: [{days: [MON], start: "09:00", end: "17:00"}]}\n'
    )
    assert "unknown time zone 'Mars/Olympus'" in only_error(tmp_path, text)[2]


def test_adaptive_rules_must_stay_inside_the_bounds(tmp_path: Path) -> None:
    text = spec_text() + (
        "  adaptivePacing:\n"
        "    minCallsPerMinute: 5\n"
        "    maxCallsPerMinute: 25\n"
        "    rules:\n"
        "      - when: {answerRate: {gte: 0.3}}\n"
        "        set: {callsPerMinute: 40}\n"
    )
    line, column, message = only_error(tmp_path, text)
    assert (line, column) == (19, column_of(text, 19, "40"))
    assert "outside [5, 25]" in message


def test_a_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    line, _column, message = only_error(tmp_path, "a: [1, 2\nb: 3\n")
    assert line == 2 and message.startswith("YAML syntax error")


def test_a_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = spec_text().replace("  description: test campaign\n", "  description: a\n  description: b\n")
    assert only_error(tmp_path, text) == (
        8,
        3,
        "duplicate key 'description' (first defined at 7:3); remove one",
    )


def test_duplicate_names_across_files_name_both_places(tmp_path: Path) -> None:
    write_spec(tmp_path, "a.yaml", spec_text("Same"))
    write_spec(tmp_path, "b.yaml", spec_text("Same"))
    errors = load([str(tmp_path)]).errors
    assert len(errors) == 2
    assert f"also at {tmp_path}/b.yaml:4:9" in errors[0].message
    assert f"also at {tmp_path}/a.yaml:4:9" in errors[1].message


def test_a_document_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    assert "document 1 is a list" in only_error(tmp_path, "- a\n- b\n")[2]


def test_a_python_tag_executes_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = spec_text().replace(
        "description: test campaign",
        f'description: !!python/object/apply:os.system ["touch {marker}"]',
    )
    line, column, message = only_error(tmp_path, text)
    assert (line, column) == (7, 16)
    assert "!!python/object/apply:os.system is not allowed" in message
    assert not marker.exists()


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    message = only_error(tmp_path, "\n".join(lines) + "\n")[2]
    assert f"more than {MAX_ALIAS_NODES:,}" in message and "alias bomb" in message


def test_a_file_of_many_campaigns_is_not_mistaken_for_an_alias_bomb(tmp_path: Path) -> None:
    write_spec(tmp_path, "many.yaml", *(spec_text(f"C-{i:03d}") for i in range(600)))
    result = load([str(tmp_path)])
    assert result.valid and len(result.campaigns) == 600


def test_anchors_and_aliases_within_limits_work(tmp_path: Path) -> None:
    text = spec_text() + (
        "  schedule:\n"
        "    timeZone: America/New_York\n"
        "    windows:\n"
        '      - {days: &weekdays [MON, TUE, WED], start: "09:00", end: "12:00"}\n'
        '      - {days: *weekdays, start: "13:00", end: "17:00"}\n'
    )
    (tmp_path / "c.yaml").write_text(text)
    result = load([str(tmp_path)])
    assert result.errors == [], [e.format() for e in result.errors]
    schedule = result.campaigns[0].campaign.spec.schedule
    assert schedule is not None and schedule.windows[1].days == schedule.windows[0].days


def test_an_alias_to_another_document_is_explained(tmp_path: Path) -> None:
    text = (
        spec_text("A").replace("  dnc: {", "  dnc: &dnc {")
        + "---\n"
        + spec_text("B").replace(
            "  dnc: {enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}", "  dnc: *dnc"
        )
    )
    message = only_error(tmp_path, text)[2]
    assert "anchors do not reach across '---' documents" in message


def test_a_document_with_absurdly_many_nodes_is_refused(tmp_path: Path) -> None:
    message = only_error(tmp_path, "\n".join(f"k{i}: v" for i in range(6000)))[2]
    assert "more than 5,000 YAML nodes" in message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    message = only_error(tmp_path, "a: " + "[" * 5000)[2]
    assert "nest" in message


def test_a_30_mb_file_is_refused_unread(tmp_path: Path) -> None:
    line, column, message = only_error(tmp_path, b"a: b\n" * (6 * 1024 * 1024))
    assert (line, column) == (1, 1)
    assert "over 1 MiB are refused unread" in message


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    assert "binary file" in only_error(tmp_path, b"\x7fELF\x02\x01\x00\x00")[2]


def test_a_non_utf8_file_is_refused_with_its_position(tmp_path: Path) -> None:
    line, column, message = only_error(tmp_path, b"a: ok\nb: caf\xe9\n")
    assert (line, column) == (2, 7)
    assert "not UTF-8" in message


def test_unquoted_times_are_read_as_written(tmp_path: Path) -> None:
    text = spec_text() + (
        "  schedule: {timeZone: America/New_York, windows: [{days: [MON], start: 9:00, end: 17:00}]}\n"
    )
    message = only_error(tmp_path, text)[2]
    assert "'9:00'" in message and "HH:MM" in message  # not the YAML 1.1 sexagesimal 540


def test_every_error_of_every_file_is_reported_sorted(tmp_path: Path) -> None:
    write_spec(tmp_path, "b.yaml", spec_text("B").replace("PREDICTIVE", "X"))
    write_spec(tmp_path, "a.yaml", spec_text("A").replace("10,", "0,").replace("stopped", "on"))
    errors = load([str(tmp_path)]).errors
    assert [(Path(e.path).name, e.line) for e in errors] == [
        ("a.yaml", 11),
        ("a.yaml", 12),
        ("b.yaml", 8),
    ]


def test_require_specs_is_silent_when_there_are_campaigns_or_other_errors(tmp_path: Path) -> None:
    empty = load([str(tmp_path)])
    assert require_specs(empty, [str(tmp_path)]) is not None
    assert require_specs(empty, [str(tmp_path)], allow_empty=True) is None
    missing = load([str(tmp_path / "nope")])
    assert require_specs(missing, [str(tmp_path / "nope")]) is None  # already an error
    write_spec(tmp_path, "c.yaml", spec_text())
    assert require_specs(load([str(tmp_path)]), [str(tmp_path)]) is None
