"""The workflows, the composite action and the pre-commit hook keep their safety properties.

zizmor and the GitHub JSON Schemas run in `make lint`; these tests pin what
they cannot know: the matrix reads keys `reconciler targets` prints, secrets
only reach jobs through an environment, drift never applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.spec.yaml_reader import parse_documents
from reconciler.targets import listing
from tests.paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
GLOBAL_OPTIONS = r'reconciler(?:\s+--\S+\s+(?:"[^"]*"|\S+)|\s*\\\n)*'
"""`reconciler`, then any global options (`--scope "..."`), possibly over continued lines."""


def read(path: Path) -> Any:
    """YAML 1.2 through the product's own reader (`on:` stays a string)."""
    (document,) = parse_documents(path.read_text())
    assert document.problems == ()
    return document.data


def steps(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in (data.get("jobs") or {}).items():
        for step in job.get("steps", []):
            yield name, step
    for step in (data.get("runs") or {}).get("steps", []):
        yield "action", step


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    for path in [*WORKFLOWS, ROOT / "action.yml"]:
        lines = [
            line for line in path.read_text().splitlines() if line.strip().startswith(("- uses:", "uses:"))
        ]
        assert lines, path
        for line in lines:
            ref, _, comment = line.split("uses:", 1)[1].strip().partition(" # ")
            assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
            assert re.fullmatch(r"v\d+\.\d+\.\d+", comment), f"{path.name}: {ref} needs '# vX.Y.Z'"


def test_checkout_never_persists_the_token() -> None:
    for path in WORKFLOWS:
        for _, step in steps(read(path)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_no_expression_is_inlined_into_a_shell_script() -> None:
    for path in [*WORKFLOWS, ROOT / "action.yml"]:
        for _, step in steps(read(path)):
            assert "${{" not in str(step.get("run", "")), f"{path.name}: pass values through env"


def test_workflows_grant_nothing_by_default_and_secrets_only_through_an_environment() -> None:
    for path in WORKFLOWS:
        data = read(path)
        assert data["permissions"] == {}, path.name
        text = path.read_text()
        assert "toJSON(secrets)" not in text and "secrets[" not in text
        for name, job in data["jobs"].items():
            uses_secrets = "secrets." in str(job)
            assert not uses_secrets or "environment" in job, (
                f"{path.name}: {name} reads secrets outside an environment"
            )


def test_plan_and_drift_use_the_read_only_environment_and_only_apply_the_protected_one() -> None:
    reconcile = read(ROOT / ".github" / "workflows" / "reconcile.yml")["jobs"]
    drift = read(ROOT / ".github" / "workflows" / "drift.yml")["jobs"]
    assert reconcile["plan"]["environment"] == "${{ matrix.target.readOnlyEnvironment }}"
    assert drift["drift"]["environment"] == "${{ matrix.target.readOnlyEnvironment }}"
    assert reconcile["apply"]["environment"] == "${{ matrix.target.environment }}"
    assert reconcile["apply"]["concurrency"]["group"].endswith("${{ matrix.target.name }}")
    assert reconcile["apply"]["concurrency"]["cancel-in-progress"] is False
    assert "github.event_name == 'push'" in reconcile["apply"]["if"]
    for job in drift.values():
        for step in job["steps"]:
            assert "apply" not in str(step.get("run", "")).split(), "the drift check never applies"


def test_the_matrix_reads_only_keys_that_reconciler_targets_prints() -> None:
    printed = set(listing(None, {})["targets"][0])
    for path in WORKFLOWS:
        used = set(re.findall(r"matrix\.target\.(\w+)", path.read_text()))
        assert used <= printed, f"{path.name}: {used - printed}"
        if "fromJSON(needs.targets.outputs.json).targets" in path.read_text():
            assert "reconciler targets --format json" in path.read_text()


def test_the_commands_the_workflows_run_exist() -> None:
    text = "\n".join(p.read_text() for p in WORKFLOWS)
    # `drift` is product.md section 9's, built on its own branch; the rest are here
    for command in ("targets", "validate", "plan", "apply", "github comment", "github drift-issue"):
        assert re.search(rf"{GLOBAL_OPTIONS}\s+{command}\b", text), command
        assert CliRunner().invoke(main, [*command.split(), "--help"]).exit_code == 0, command
    assert re.search(rf"{GLOBAL_OPTIONS}\s+drift --format json", text)


def test_the_action_runs_the_commands_it_offers() -> None:
    action = read(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "paths", "target"}
    (run,) = [s for _, s in steps(action) if s.get("id") == "run"]
    assert "validate | plan | apply | drift)" in run["run"]
    assert run["env"]["RECONCILER_TARGET"] == "${{ inputs.target }}"


def test_the_pre_commit_hook_validates_campaign_files() -> None:
    (hook,) = read(ROOT / ".pre-commit-hooks.yaml")
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "reconciler-validate",
        "reconciler validate",
        "python",
    )
    files = re.compile(hook["files"])
    assert files.search("campaigns/q3-enterprise.yaml") and files.search("campaigns/emea/a.yml")
    assert not files.search("targets.yaml") and not files.search(".github/workflows/ci.yml")
    examples = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "campaigns").glob("*.yaml"))
    assert all(files.search(p) for p in examples)


@pytest.mark.parametrize("good", [True, False])
def test_the_hooks_entry_passes_good_files_and_fails_bad_ones(good: bool, tmp_path: Path) -> None:
    source = (ROOT / "campaigns" / "q3-enterprise.yaml").read_text()
    spec = tmp_path / "a.yaml"
    spec.write_text(source if good else source.replace("dialerType:", "dialerTyp:"))
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == (0 if good else 1), result.output
