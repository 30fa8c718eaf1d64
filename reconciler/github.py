"""GitHub REST for CI: one plan comment per target on a pull request, one drift issue per target.

Both are found again by a hidden marker (an HTML comment at the top of the
body) written by the expected author, so a run updates its own comment or
issue in place and never someone else's, and a pasted marker changes nothing.
The token (GITHUB_TOKEN) goes into the Authorization header only; errors
name the request and GitHub's message, never a header.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from reconciler.errors import ConfigError, GitHubError

__all__ = [
    "BODY_LIMIT",
    "BOT",
    "DriftReport",
    "GitHub",
    "comment_plan",
    "drift_issue_body",
    "marker",
    "plan_comment_body",
    "run_url",
    "sync_drift_issue",
]

BOT = "github-actions[bot]"
BODY_LIMIT = 65_536
"""GitHub refuses a comment or issue body longer than this (characters)."""
DRIFT_LABEL = "drift"
COMPLIANCE_LABEL = "compliance"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

Outcome = Literal["created", "updated", "skipped", "closed", "unchanged"]


def marker(kind: Literal["plan", "drift"], target: str) -> str:
    """The hidden line that finds the comment or issue of one target again."""
    return f"<!-- cxone-reconciler:{kind} target={target} -->"


@dataclass
class GitHub:
    """A small GitHub REST client for one repository (sync: a CI step makes a handful of calls)."""

    repository: str
    token: SecretStr
    api_url: str = "https://api.github.com"
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, repository: str | None = None) -> GitHub:
        """GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_API_URL, as a workflow sets them."""
        env = os.environ if env is None else env
        repo = repository or env.get("GITHUB_REPOSITORY", "")
        if not _REPOSITORY.match(repo):
            raise ConfigError(
                f"the repository must be OWNER/NAME, got {repo!r}"
                if repo
                else "GITHUB_REPOSITORY is not set",
                hint="in a workflow GitHub sets it; elsewhere pass --repository OWNER/NAME",
            )
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "GITHUB_TOKEN is not set",
                hint="in the workflow step: env: GITHUB_TOKEN: ${{ github.token }}",
            )
        api = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        if not api.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError(f"GITHUB_API_URL must be https, got {api!r}")
        return cls(repo, SecretStr(token), api)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.api_url,
            transport=self.transport,
            timeout=30.0,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "cxone-reconciler",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, json: Any = None, params: Any = None) -> httpx.Response:
        url = path if path.startswith("http") else f"/repos/{self.repository}{path}"
        auth = {"Authorization": f"Bearer {self.token.get_secret_value()}"}
        try:
            response = self._http.request(method, url, json=json, params=params, headers=auth)
        except httpx.HTTPError as exc:
            raise GitHubError(f"{method} {_shown(url)}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            try:
                said = str(response.json().get("message", ""))
            except ValueError:
                said = ""
            raise GitHubError(
                f"{method} {_shown(url)} -> {response.status_code}" + (f": {said[:200]}" if said else ""),
                hint=_HINTS.get(response.status_code),
            )
        return response

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following the Link header's rel="next"."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": 100}
        while url is not None:
            response = self.request("GET", url, params=query)
            yield from response.json()
            found = _NEXT.search(response.headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)
            if url is not None and not url.startswith(self.api_url):
                raise GitHubError(f"refusing to follow a next page outside {self.api_url}")


_HINTS = {
    401: "the token is invalid or expired",
    403: "the job's token lacks a permission: pull-requests: write (comments) or issues: write (drift)",
    404: "check the repository, the pull request or issue number, and the token's access",
}


def _shown(url: str) -> str:
    return url.split("?")[0]


def _find(items: Iterator[dict[str, Any]], mark: str, author: str) -> dict[str, Any] | None:
    for item in items:
        body = item.get("body") or ""
        if (item.get("user") or {}).get("login") == author and body.startswith(mark):
            return item
    return None


def _fit(text: str, note: str) -> str:
    if len(text) <= BODY_LIMIT:
        return text
    return text[: BODY_LIMIT - len(note) - 2] + "\n\n" + note


# -- plan comments ---------------------------------------------------------------------------------


def plan_comment_body(
    target: str, markdown: str | None, *, has_changes: bool, failed: bool = False, run_url: str | None = None
) -> str:
    """The comment of one target: the plan, a one-line "no changes", or "the plan failed"."""
    link = f" ([run]({run_url}))" if run_url else ""
    lines = [marker("plan", target), f"#### Target `{target}`{link}", ""]
    if failed:
        lines.append(":x: **The plan failed.** See the workflow run's log for the error.")
    elif not has_changes:
        lines.append(":white_check_mark: No changes: the tenant matches the specs.")
    else:
        lines.append(markdown or "")
    return _fit("\n".join(lines), "_Truncated: the whole plan is in the job summary and the artifact._")


def comment_plan(
    github: GitHub,
    pull_request: int,
    target: str,
    body: str,
    *,
    has_changes: bool,
    author: str = BOT,
) -> Outcome:
    """Create or update the target's comment; an empty plan posts nothing new (it only updates)."""
    mark = marker("plan", target)
    existing = _find(github.pages(f"/issues/{pull_request}/comments", {}), mark, author)
    if existing is None:
        if not has_changes:
            return "skipped"
        github.request("POST", f"/issues/{pull_request}/comments", json={"body": body})
        return "created"
    if existing.get("body") == body:
        return "unchanged"
    github.request("PATCH", f"/issues/comments/{existing['id']}", json={"body": body})
    return "updated"


# -- drift issues ----------------------------------------------------------------------------------


class _Drifted(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    kind: str
    compliance: bool


class DriftReport(BaseModel):
    """What this module needs of `reconciler drift --format json` (formatVersion 1; added keys are fine)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    formatVersion: Literal[1]
    target: str
    drift: list[_Drifted]

    @property
    def compliance(self) -> bool:
        return any(d.compliance for d in self.drift)

    @classmethod
    def parse(cls, text: str, where: str) -> DriftReport:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            at = ".".join(str(p) for p in first["loc"]) or "the document"
            raise ConfigError(
                f"{where} is not `reconciler drift --format json` output (formatVersion 1): "
                f"{at}: {first['msg']}",
                hint="write it with `reconciler drift --format json > drift.json`",
            ) from None


def drift_issue_body(target: str, markdown: str, *, run_url: str | None = None) -> str:
    link = (
        f"\n\n_Found by the [drift check]({run_url}); "
        "it updates this issue and closes it when the drift is gone._"
    )
    return _fit(
        f"{marker('drift', target)}\n{markdown.rstrip()}" + (link if run_url else ""),
        "_Truncated: see the workflow run for the whole report._",
    )


def sync_drift_issue(
    github: GitHub,
    target: str,
    report: DriftReport,
    markdown: str,
    *,
    run_url: str | None = None,
    author: str = BOT,
) -> Outcome:
    """Open or update the target's drift issue (labelled compliance if so), or close it when clean."""
    mark = marker("drift", target)
    issues = (
        i for i in github.pages("/issues", {"state": "open", "creator": author}) if "pull_request" not in i
    )
    existing = _find(issues, mark, author)
    if not report.drift:
        if existing is None:
            return "unchanged"
        number = existing["number"]
        github.request(
            "POST",
            f"/issues/{number}/comments",
            json={
                "body": "The drift is gone: the tenant matches the specs again."
                + (f" ([run]({run_url}))" if run_url else "")
            },
        )
        github.request("PATCH", f"/issues/{number}", json={"state": "closed", "state_reason": "completed"})
        return "closed"
    body = drift_issue_body(target, markdown, run_url=run_url)
    title = f"Drift in target {target}" + (" (compliance)" if report.compliance else "")
    if existing is None:
        labels = [DRIFT_LABEL] + ([COMPLIANCE_LABEL] if report.compliance else [])
        github.request("POST", "/issues", json={"title": title, "body": body, "labels": labels})
        return "created"
    number = existing["number"]
    labels_now = {label.get("name") for label in existing.get("labels") or []}
    github.request("PATCH", f"/issues/{number}", json={"title": title, "body": body})
    if report.compliance and COMPLIANCE_LABEL not in labels_now:
        github.request("POST", f"/issues/{number}/labels", json={"labels": [COMPLIANCE_LABEL]})
    elif not report.compliance and COMPLIANCE_LABEL in labels_now:
        github.request("DELETE", f"/issues/{number}/labels/{COMPLIANCE_LABEL}")
    return "updated"


def run_url(env: Mapping[str, str] | None = None) -> str | None:
    """The workflow run's address, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID."""
    env = os.environ if env is None else env
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts) or not parts[2].isdigit() or not _REPOSITORY.match(parts[1]):
        return None
    return f"{parts[0].rstrip('/')}/{parts[1]}/actions/runs/{parts[2]}"
