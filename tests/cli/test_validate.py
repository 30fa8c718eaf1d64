"""`reconciler validate` as a user runs it: exit codes, formats, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.paths import ROOT
from tests.specs import spec_text, write_spec


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_shipped_examples_are_valid() -> None:
    code, out = run("validate", str(ROOT / "campaigns"))
    assert code == 0
    assert out.strip().endswith("campaigns in 3 files are valid")


def test_invalid_specs_exit_1_with_located_errors(tmp_path: Path) -> None:
    path = write_spec(tmp_path, "c.yaml", spec_text().replace("PREDICTIVE", "ROBOT"))
    code, out = run("validate", str(tmp_path))
    assert code == 1
    assert f"{path}:8:15: error: spec.dialerType" in out
    assert "Traceback" not in out


def test_json_format_matches_the_contract(tmp_path: Path) -> None:
    write_spec(tmp_path, "ok.yaml", spec_text("A"), spec_text("B"))
    write_spec(tmp_path, "bad.yaml", spec_text("C").replace("kind: Campaign", "kind: Campaing"))
    code, out = run("validate", "--format", "json", str(tmp_path))
    report = json.loads(out)
    assert code == 1
    assert report["valid"] is False
    assert (report["files"], report["campaigns"]) == (2, 2)
    (diagnostic,) = report["diagnostics"]
    assert set(diagnostic) == {"path", "line", "column", "severity", "field", "message"}
    assert (diagnostic["line"], diagnostic["column"], diagnostic["field"]) == (2, 7, "kind")


def test_github_format_prints_workflow_annotations(tmp_path: Path) -> None:
    path = write_spec(tmp_path, "c.yaml", spec_text().replace("name: Test-Campaign", "name: ''"))
    code, out = run("validate", "--format", "github", str(path))
    assert code == 1
    assert out.startswith(f"::error file={path},line=4,col=9::metadata.name:")


def test_a_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "nope"))
    assert code == 1
    assert "no such file or directory" in out


def test_warnings_alone_keep_the_exit_code_zero(tmp_path: Path) -> None:
    text = spec_text() + (
        '  schedule: {timeZone: America/New_York, windows: [{days: [SAT], start: "07:00", end: "12:00"}]}\n'
        "  complianceOptOuts: {callingHours: {reason: existing customers asked for early calls}}\n"
    )
    write_spec(tmp_path, "c.yaml", text)
    code, out = run("validate", str(tmp_path))
    assert code == 0
    assert "warning: calling window start 07:00" in out


ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "\n".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(9)
)
BAD_INPUTS: dict[str, tuple[str | bytes, str]] = {
    "misspelt field": (
        spec_text().replace("maxConcurrent", "maxConcurent"),
        "c.yaml:11:32: error: unknown field 'maxConcurent'",
    ),
    "wrong type": (
        spec_text().replace("enforceLocal: true", "enforceLocal: sometimes"),
        "c.yaml:10:46: error: spec.dnc.enforceLocal",
    ),
    "out of range": (
        spec_text().replace("maxConcurrent: 20", "maxConcurrent: 0"),
        "c.yaml:11:47: error: spec.pacing.maxConcurrent",
    ),
    "missing field": (
        spec_text().replace("  contactListId: CL-839201-AJF2\n", ""),
        "c.yaml:7:3: error: missing",
    ),
    "bad enum": (spec_text().replace("PREDICTIVE", "AUTODIAL"), "c.yaml:8:15: error"),
    "bad duration": (
        spec_text().replace("timeout: 20s", "timeout: forever"),
        "c.yaml:13:59: error: spec.launch.timeout: invalid duration",
    ),
    "abandon cap": (
        spec_text(
            extra="  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.1}\n"
        ),
        "c.yaml:14:81: error: maxAbandonRate 0.1 is above",
    ),
    "calling hours": (
        spec_text(
            extra='  schedule: {timeZone: UTC, windows: [{days: [SUN], start: "06:00", end: "10:00"}]}\n'
        ),
        "c.yaml:14:60: error: calling window start 06:00",
    ),
    "YAML syntax": ("apiVersion: [unclosed\n", "c.yaml:2:1: error: YAML syntax error"),
    "duplicate key": (
        spec_text().replace("kind: Campaign\n", "kind: Campaign\nkind: Campaign\n"),
        "c.yaml:3:1:",
    ),
    "not a mapping": ("just a string\n", "c.yaml:1:1: error: document 1 is a scalar"),
    "custom tag": ("!!python/name:os.system\n", "c.yaml:1:1: error: tag !!python/name:os.system"),
    "alias bomb": (ALIAS_BOMB, "error: aliases expand to more than 20,000"),
    "30 MB file": (b"a: b\n" * 6_000_000, "c.yaml:1:1: error: file is 30,000,000 bytes"),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00", "c.yaml:3:1: error: binary file"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_each_class_of_bad_input_exits_1_with_its_location(tmp_path: Path, kind: str) -> None:
    content, expected = BAD_INPUTS[kind]
    path = tmp_path / "c.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, out = run("validate", str(tmp_path))
    assert code == 1
    assert expected in out, out
    assert "Traceback" not in out


def test_duplicate_names_across_files_exit_1_naming_both(tmp_path: Path) -> None:
    write_spec(tmp_path, "a.yaml", spec_text("Twin"))
    write_spec(tmp_path, "b.yaml", spec_text("Twin"))
    code, out = run("validate", str(tmp_path))
    assert code == 1
    assert (
        f"{tmp_path}/a.yaml:4:9: error: duplicate campaign name 'Twin' (also at {tmp_path}/b.yaml:4:9)" in out
    )


def test_a_folder_without_specs_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no specs here\n")
    code, out = run("validate", str(tmp_path))
    assert code == 1
    assert f"{tmp_path}:1:1: error: no campaign specs in {tmp_path}: no spec files (*.yaml, *.yml)" in out
    assert "--allow-empty" in out


def test_several_empty_paths_are_all_named(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code, out = run("validate", "--format", "json", str(tmp_path / "a"), str(tmp_path / "b"))
    (diagnostic,) = json.loads(out)["diagnostics"]
    assert code == 1
    assert f"no campaign specs in {tmp_path / 'a'}, {tmp_path / 'b'}" in diagnostic["message"]


def test_files_without_documents_are_no_specs_either(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    code, out = run("validate", str(tmp_path))
    assert code == 1 and "1 file(s) with no documents" in out


def test_allow_empty_makes_no_specs_a_success(tmp_path: Path) -> None:
    code, out = run("validate", "--allow-empty", str(tmp_path))
    assert code == 0
    assert "0 campaigns in 0 files are valid" in out
