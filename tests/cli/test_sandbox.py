"""With no CXONE_API_BASE, commands share the embedded sandbox persisted on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.specs import spec_text, write_spec

pytestmark = pytest.mark.e2e  # the real sandbox on disk, real time


def test_one_commands_apply_is_the_next_commands_live_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    write_spec(tmp_path / "campaigns", "c.yaml", spec_text("Sandboxed", "running"))
    env = {"CXONE_API_BASE": None, "CXONE_CLIENT_SECRET": None}  # no target setting at all
    runner = CliRunner()
    first = runner.invoke(main, ["plan", "--detailed-exitcode"], env=env)
    assert first.exit_code == 2, first.output
    assert "Target: sandbox .reconciler/sandbox.db" in first.output
    applied = runner.invoke(main, ["apply", "--auto-approve"], env=env)
    assert applied.exit_code == 0, applied.output
    assert "Sandboxed: started (RUNNING)" in applied.output
    assert (tmp_path / ".reconciler" / "sandbox.db").is_file()
    again = runner.invoke(main, ["plan", "--detailed-exitcode"], env=env)
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output
