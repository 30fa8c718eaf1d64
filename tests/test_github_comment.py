"""One plan comment per target on a pull request, found by its marker and updated in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.errors import GitHubError
from reconciler.github import BODY_LIMIT, GitHub, comment_plan, marker, plan_comment_body
from tests.conftest import InProcessCli
from tests.fake_github import API, REPO, TOKEN, FakeGitHub
from tests.specs import spec_text, write_spec

PR = 7


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub()
    fake.issues[PR] = {"number": PR, "body": "the pull request", "user": {"login": "dev"}, "state": "open"}
    return fake


def post(github: FakeGitHub, target: str, text: str, *, has_changes: bool = True) -> str:
    body = plan_comment_body(target, text, has_changes=has_changes)
    with github.client() as client:
        return comment_plan(client, PR, target, body, has_changes=has_changes)


def test_the_first_plan_creates_a_comment_and_the_next_updates_it_in_place(github: FakeGitHub) -> None:
    assert post(github, "emea", "1 to create") == "created"
    assert post(github, "emea", "2 to create") == "updated"
    assert post(github, "emea", "2 to create") == "unchanged"
    (comment,) = github.comments_on(PR)
    assert comment["body"].startswith(marker("plan", "emea") + "\n#### Target `emea`")
    assert "2 to create" in comment["body"]


def test_each_target_has_its_own_comment(github: FakeGitHub) -> None:
    post(github, "emea", "emea plan")
    post(github, "us", "us plan")
    post(github, "emea", "emea plan, again")
    bodies = sorted(c["body"] for c in github.comments_on(PR))
    assert len(bodies) == 2
    assert "emea plan, again" in bodies[0] and "us plan" in bodies[1]


def test_the_comment_is_found_on_a_later_page(github: FakeGitHub) -> None:
    for i in range(150):
        github.add_comment(PR, f"review comment {i}", user="reviewer")
    ours = github.add_comment(PR, plan_comment_body("emea", "old", has_changes=True))
    assert post(github, "emea", "new") == "updated"
    assert "new" in github.comments[ours]["body"]
    assert github.calls.count(f"GET /issues/{PR}/comments") == 2


def test_a_pasted_marker_from_someone_else_is_not_ours(github: FakeGitHub) -> None:
    fake = github.add_comment(
        PR, plan_comment_body("emea", "looks fine, merge it", has_changes=True), user="dev"
    )
    assert post(github, "emea", "1 to delete") == "created"
    assert "looks fine" in github.comments[fake]["body"]
    assert len(github.comments_on(PR)) == 2


def test_an_empty_plan_posts_nothing_new_and_shrinks_an_earlier_comment(github: FakeGitHub) -> None:
    assert post(github, "emea", "", has_changes=False) == "skipped"
    assert github.comments_on(PR) == []
    assert post(github, "emea", "1 to update") == "created"
    assert post(github, "emea", "", has_changes=False) == "updated"
    (comment,) = github.comments_on(PR)
    assert comment["body"].endswith("No changes: the tenant matches the specs.")
    assert "1 to update" not in comment["body"]


def test_a_failed_plan_says_so_and_a_huge_one_is_cut_to_githubs_limit() -> None:
    failed = plan_comment_body(
        "us", None, has_changes=True, failed=True, run_url="https://github.com/a/b/actions/runs/1"
    )
    assert "**The plan failed.**" in failed and "([run](https://github.com/a/b/actions/runs/1))" in failed
    huge = plan_comment_body("us", "x" * 100_000, has_changes=True)
    assert len(huge) <= BODY_LIMIT
    assert huge.endswith("_Truncated: the whole plan is in the job summary and the artifact._")


def test_a_refusal_names_the_request_and_a_hint_never_the_token(github: FakeGitHub) -> None:
    github.fail[f"POST /issues/{PR}/comments"] = 403
    with pytest.raises(GitHubError) as caught:
        post(github, "emea", "plan")
    assert caught.value.message == (
        f"POST /repos/{REPO}/issues/{PR}/comments -> 403: Resource not accessible by integration"
    )
    assert caught.value.hint is not None and "pull-requests: write" in caught.value.hint
    assert TOKEN not in str(caught.value)


def test_settings_come_from_the_workflows_environment() -> None:
    client = GitHub.from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN})
    assert (client.repository, client.api_url) == (REPO, "https://api.github.com")
    assert TOKEN not in repr(client)
    client.close()
    for env, message in [
        ({"GITHUB_TOKEN": TOKEN}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_REPOSITORY": "a/b/c", "GITHUB_TOKEN": TOKEN}, "the repository must be OWNER/NAME"),
        ({"GITHUB_REPOSITORY": REPO}, "GITHUB_TOKEN is not set"),
        (
            {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://evil"},
            "must be https",
        ),
    ]:
        with pytest.raises(Exception, match=message):
            GitHub.from_env(env)


def run(github: FakeGitHub, *args: str) -> tuple[int, str]:
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": API, "GITHUB_RUN_ID": ""}
    obj = {"github_transport": github.transport()}
    result = CliRunner().invoke(main, ["github", *args], env=env, obj=obj)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_the_cli_comments_a_saved_plan_then_shrinks_it_once_applied(
    github: FakeGitHub, cli: InProcessCli, tmp_path: Path
) -> None:
    write_spec(tmp_path, "a.yaml", spec_text("Alpha", "stopped"))
    plan = tmp_path / "plan.json"
    code, out = cli.run("plan", str(tmp_path / "a.yaml"), "--out", str(plan))
    assert code == 0, out
    code, out = run(github, "comment", "--pr", str(PR), "--target", "emea", "--plan", str(plan))
    assert (code, out) == (0, f"plan comment for target emea on #{PR}: created\n")
    (comment,) = github.comments_on(PR)
    assert "Alpha" in comment["body"] and "cxone-reconciler plan" in comment["body"]
    code, out = cli.run("apply", str(tmp_path / "a.yaml"), "--auto-approve")
    assert code == 0, out
    cli.run("plan", str(tmp_path / "a.yaml"), "--out", str(plan))
    assert json.loads(plan.read_text())["changes"] == []
    code, out = run(github, "comment", "--pr", str(PR), "--target", "emea", "--plan", str(plan))
    assert out == f"plan comment for target emea on #{PR}: updated\n"
    assert "No changes" in github.comments_on(PR)[0]["body"]


def test_the_cli_posts_a_failed_plan_and_refuses_bad_input(github: FakeGitHub) -> None:
    code, out = run(github, "comment", "--pr", str(PR), "--target", "us", "--failed")
    assert (code, out) == (0, f"plan comment for target us on #{PR}: created\n")
    code, out = run(github, "comment", "--pr", str(PR), "--target", "us")
    assert code == 1 and "pass either --plan FILE or --failed" in out
    code, out = run(github, "comment", "--pr", "0", "--target", "us", "--failed")
    assert code == 64
    code, out = run(github, "comment", "--pr", "1", "--target", "US;rm", "--failed")
    assert code == 64 and "a target name" in out
