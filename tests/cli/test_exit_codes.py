"""Usage errors exit 64 (EX_USAGE) for every command; exit 2 is kept for "the plan has changes"."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.base import EX_USAGE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--detailed-exitcode", "--formt", "markdown"], "No such option '--formt'"),
        (["plan", "--format", "html"], "Invalid value for '--format'"),
        (["apply", "--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["apply", "--concurrency", "many"], "'many' is not a valid integer"),
        (["pace", "--rounds"], "Option '--rounds' requires an argument"),
        (["summary", "--format", "xml"], "Invalid value for '--format'"),
        (["validate", "--no-such-flag"], "No such option '--no-such-flag'"),
        (["emulator", "--port", "http"], "Invalid value for '--port'"),
        (["--rate-limit", "-1", "plan"], "Invalid value for '--rate-limit'"),
        (["nonsense"], "No such command 'nonsense'"),
        (["apply", "--plan", "no-such-plan.json"], "does not exist"),
        (["emulator", "--client", "only-an-id"], "expected ID:SECRET"),
    ],
)
def test_usage_errors_exit_64_with_clicks_message(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args, env={"CXONE_API_BASE": "http://127.0.0.1:9"})
    assert result.exit_code == EX_USAGE == 64, result.output
    assert message in result.output
    assert "Error: " in result.output


def test_the_installed_entry_point_exits_64_on_a_typo_in_ci() -> None:
    """`python -m reconciler` (what `reconciler` runs): the typo is not "the plan has changes"."""
    process = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode", "--formt", "markdown"],
        capture_output=True,
        text=True,
        env={**os.environ, "CXONE_API_BASE": "http://127.0.0.1:9"},
        timeout=30,
    )
    assert process.returncode == 64, process.stderr
    assert "No such option '--formt'" in process.stderr


def test_help_still_exits_0() -> None:
    result = CliRunner().invoke(main, ["plan", "--help"])
    assert result.exit_code == 0
    assert "--detailed-exitcode" in result.output
