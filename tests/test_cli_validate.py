"""`reconciler validate` as a user runs it: exit codes, formats, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.specs import spec_text, write_spec

ROOT = Path(__file__).resolve().parent.parent


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
