"""`reconciler github comment|drift-issue`: what the workflows post to GitHub, as tested code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from reconciler.cli.base import _obj, handled, main
from reconciler.engine import saved as saved_plan
from reconciler.engine.render import render_markdown
from reconciler.errors import ConfigError
from reconciler.github import (
    BOT,
    DriftReport,
    GitHub,
    comment_plan,
    plan_comment_body,
    run_url,
    sync_drift_issue,
)
from reconciler.targets import NAME_PATTERN

__all__ = ["github"]

_MAX_INPUT = 4 * 1024 * 1024


def _target_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.match(NAME_PATTERN, value):
        raise click.BadParameter(
            "a target name: lower-case letters, digits and '-' (see `reconciler targets`)"
        )
    return value


def _read(path: str) -> str:
    file = Path(path)
    try:
        if file.stat().st_size > _MAX_INPUT:
            raise ConfigError(f"{path} is over 4 MiB; refusing to post it")
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def _client(repository: str | None) -> GitHub:
    client = GitHub.from_env(repository=repository)
    transport: Any = _obj().get("github_transport")
    if transport is not None:  # tests: a fake GitHub in process
        client = GitHub(client.repository, client.token, client.api_url, transport)
    return client


_common = [
    click.option("--target", "target", required=True, callback=_target_name, help="The target's name."),
    click.option("--repository", metavar="OWNER/NAME", help="Default: $GITHUB_REPOSITORY."),
    click.option(
        "--author",
        default=BOT,
        show_default=True,
        help="Only this account's comment or issue is updated (a pasted marker changes nothing).",
    ),
]


def _with_common(func: Any) -> Any:
    for option in reversed(_common):
        func = option(func)
    return func


@main.group()
def github() -> None:
    """Post to GitHub from CI (token in GITHUB_TOKEN; API in GITHUB_API_URL)."""


@github.command()
@click.option("--pr", "pull_request", type=click.IntRange(1), required=True, help="Pull request number.")
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), help="The saved plan (`plan --out plan.json`)."
)
@click.option(
    "--body-file", type=click.Path(dir_okay=False), help="The plan as Markdown (default: from --plan)."
)
@click.option("--failed", is_flag=True, help="The plan failed: say so in the target's comment.")
@_with_common
@handled
def comment(
    pull_request: int,
    plan_file: str | None,
    body_file: str | None,
    failed: bool,
    target: str,
    repository: str | None,
    author: str,
) -> None:
    """Create or update the target's plan comment on a pull request (found by a hidden marker).

    A plan without changes creates no comment; it turns an earlier one into a one-line "no changes".
    """
    if failed == (plan_file is not None):
        raise ConfigError("pass either --plan FILE or --failed", hint="--failed when the plan step failed")
    has_changes = True
    markdown: str | None = None
    if plan_file is not None:
        plan = saved_plan.read(plan_file)
        has_changes = plan.has_changes
        markdown = _read(body_file) if body_file else render_markdown(plan)
    body = plan_comment_body(target, markdown, has_changes=has_changes, failed=failed, run_url=run_url())
    with _client(repository) as client:
        outcome = comment_plan(
            client, pull_request, target, body, has_changes=has_changes or failed, author=author
        )
    click.echo(f"plan comment for target {target} on #{pull_request}: {outcome}")


@github.command("drift-issue")
@click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), required=True, help="`drift --format json`."
)
@click.option(
    "--body-file", type=click.Path(dir_okay=False), required=True, help="`drift --format markdown`."
)
@_with_common
@handled
def drift_issue(report_file: str, body_file: str, target: str, repository: str | None, author: str) -> None:
    """Open or update the target's drift issue, labelled compliance if so; close it when the drift is gone."""
    report = DriftReport.parse(_read(report_file), report_file)
    markdown = _read(body_file)
    with _client(repository) as client:
        outcome = sync_drift_issue(client, target, report, markdown, run_url=run_url(), author=author)
    click.echo(f"drift issue for target {target}: {outcome}")
