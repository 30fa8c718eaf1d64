"""One drift issue per target: opened or updated on drift, labelled compliance, closed when clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.errors import ConfigError
from reconciler.github import DriftReport, marker, sync_drift_issue
from tests.fake_github import API, REPO, TOKEN, FakeGitHub


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub()


def report(*drifted: tuple[str, bool], target: str = "emea") -> DriftReport:
    return DriftReport.model_validate(drift_json(*drifted, target=target))


def drift_json(*drifted: tuple[str, bool], target: str = "emea") -> dict[str, Any]:
    return {
        "formatVersion": 1,
        "target": target,
        "drift": [
            {
                "name": name,
                "campaignId": "C-1",
                "kind": "changed",
                "fields": [
                    {
                        "path": "dnc.enforceLocal" if compliance else "pacing.callsPerMinute",
                        "expected": 1,
                        "live": 2,
                    }
                ],
                "compliance": compliance,
                "notes": [],
            }
            for name, compliance in drifted
        ],
        "coverage": {"managed": 3, "live": 5},
    }


def sync(github: FakeGitHub, found: DriftReport, target: str = "emea", markdown: str = "### drift") -> str:
    with github.client() as client:
        return sync_drift_issue(
            client, target, found, markdown, run_url="https://github.com/acme/c/actions/runs/9"
        )


def open_issues(github: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in github.issues.values() if i["state"] == "open"]


def labels(issue: dict[str, Any]) -> list[str]:
    return sorted(label["name"] for label in issue["labels"])


def test_drift_opens_one_issue_and_later_runs_update_it(github: FakeGitHub) -> None:
    assert sync(github, report(("Alpha", False)), markdown="Alpha drifted") == "created"
    assert sync(github, report(("Alpha", False), ("Bravo", False)), markdown="Alpha and Bravo") == "updated"
    (issue,) = open_issues(github)
    assert issue["title"] == "Drift in target emea"
    assert issue["body"].startswith(marker("drift", "emea") + "\nAlpha and Bravo")
    assert "[drift check](https://github.com/acme/c/actions/runs/9)" in issue["body"]
    assert labels(issue) == ["drift"]


def test_compliance_drift_is_labelled_and_the_label_goes_with_it(github: FakeGitHub) -> None:
    assert sync(github, report(("Alpha", True))) == "created"
    (issue,) = open_issues(github)
    assert labels(issue) == ["compliance", "drift"]
    assert issue["title"] == "Drift in target emea (compliance)"
    sync(github, report(("Alpha", False)))
    assert labels(issue) == ["drift"]
    sync(github, report(("Alpha", True)))
    assert labels(issue) == ["compliance", "drift"]
    assert github.calls.count("POST /issues") == 1


def test_a_clean_run_closes_the_issue_with_a_comment(github: FakeGitHub) -> None:
    sync(github, report(("Alpha", True)))
    (issue,) = open_issues(github)
    assert sync(github, report()) == "closed"
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    (comment,) = github.comments_on(issue["number"])
    assert comment["body"].startswith("The drift is gone: the tenant matches the specs again.")
    assert sync(github, report()) == "unchanged"
    assert sync(github, report(("Alpha", False))) == "created"
    assert len(github.issues) == 2


def test_each_target_has_its_own_issue_and_others_are_left_alone(github: FakeGitHub) -> None:
    mine = marker("drift", "emea")
    pasted = github.add_issue(body=f"{mine}\nplease close", user="dev")
    pr = github.add_issue(body=f"{mine}\n", pull_request=True)
    sync(github, report(("Alpha", False)), target="emea")
    sync(github, report(("Zulu", False), target="us"), target="us")
    sync(github, report(), target="us")
    ours = [
        i
        for i in open_issues(github)
        if i["user"]["login"] == "github-actions[bot]" and "pull_request" not in i
    ]
    assert [i["title"] for i in ours] == ["Drift in target emea"]
    assert github.issues[pasted]["body"] == f"{mine}\nplease close"
    assert github.issues[pr]["state"] == "open"


def test_the_issue_is_found_among_many(github: FakeGitHub) -> None:
    for i in range(120):
        github.add_issue(body=f"bug {i}")
    sync(github, report(("Alpha", False)))
    assert sync(github, report(("Alpha", False)), markdown="again") == "updated"
    assert github.calls.count("POST /issues") == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"formatVersion": 2, "target": "t", "drift": []}, "formatVersion"),
        ({"formatVersion": 1, "target": "t"}, "drift"),
        (
            {"formatVersion": 1, "target": "t", "drift": [{"name": "a", "kind": "changed"}]},
            "drift.0.compliance",
        ),
    ],
)
def test_a_report_that_is_not_drift_json_is_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        DriftReport.parse(json.dumps(data), "drift.json")
    assert caught.value.message.startswith("drift.json is not `reconciler drift --format json` output")


def test_the_cli_syncs_the_issue_from_the_drift_files(github: FakeGitHub, tmp_path: Path) -> None:
    (tmp_path / "drift.json").write_text(json.dumps(drift_json(("Alpha", True))))
    (tmp_path / "drift.md").write_text("### cxone-reconciler drift\n")
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": API}
    args = ["github", "drift-issue", "--target", "emea"]
    args += ["--report", str(tmp_path / "drift.json"), "--body-file", str(tmp_path / "drift.md")]
    result = CliRunner().invoke(main, args, env=env, obj={"github_transport": github.transport()})
    assert (result.exit_code, result.output) == (0, "drift issue for target emea: created\n")
    (issue,) = open_issues(github)
    assert labels(issue) == ["compliance", "drift"]
    github.fail["POST /issues"] = 403
    issue["state"] = "closed"
    result = CliRunner().invoke(main, args, env=env, obj={"github_transport": github.transport()})
    assert result.exit_code == 1
    assert "error: POST /repos/acme/campaigns/issues -> 403" in result.output
    assert "issues: write" in result.output
    assert TOKEN not in result.output
