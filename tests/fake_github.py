"""A fake GitHub REST API in process (httpx.MockTransport): issues, comments, labels, pagination."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import SecretStr

from reconciler.github import BOT, GitHub

API = "http://127.0.0.1:9"
REPO = "acme/campaigns"
TOKEN = "ghs_fake-token-value"


@dataclass
class FakeGitHub:
    """Holds what a repository's issues look like; answers like GitHub, for the calls reconciler makes."""

    login: str = BOT
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    _next: int = 1

    def client(self) -> GitHub:
        return GitHub(REPO, SecretStr(TOKEN), API, httpx.MockTransport(self.handle))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def add_issue(self, *, body: str, user: str = BOT, pull_request: bool = False, **extra: Any) -> int:
        number = self.new_id()
        self.issues[number] = {
            "number": number,
            "title": extra.get("title", "an issue"),
            "body": body,
            "user": {"login": user},
            "state": "open",
            "labels": [{"name": n} for n in extra.get("labels", [])],
            **({"pull_request": {"url": "x"}} if pull_request else {}),
        }
        return number

    def add_comment(self, issue: int, body: str, user: str = BOT) -> int:
        ident = self.new_id()
        self.comments[ident] = {"id": ident, "issue": issue, "body": body, "user": {"login": user}}
        return ident

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == issue]

    # -- the HTTP side -------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        path = request.url.path.removeprefix(f"/repos/{REPO}")
        key = f"{request.method} {path}"
        self.calls.append(key)
        if key in self.fail:
            return httpx.Response(self.fail[key], json={"message": "Resource not accessible by integration"})
        body = json.loads(request.content) if request.content else None
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        for pattern, method in self.routes:
            found = re.fullmatch(pattern, key)
            if found:
                return method(self, request, body, query, *found.groups())
        return httpx.Response(404, json={"message": "Not Found"})

    def _page(self, request: httpx.Request, items: list[Any], query: dict[str, str]) -> httpx.Response:
        size = int(query.get("per_page", "30"))
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            url = request.url.copy_set_param("page", str(page + 1)).copy_set_param("per_page", str(size))
            headers["link"] = f'<{url}>; rel="next", <{url}>; rel="last"'
        return httpx.Response(200, json=chunk, headers=headers)

    def _list_comments(
        self, request: httpx.Request, body: Any, query: dict[str, str], n: str
    ) -> httpx.Response:
        if int(n) not in self.issues:
            return httpx.Response(404, json={"message": "Not Found"})
        return self._page(request, self.comments_on(int(n)), query)

    def _create_comment(
        self, request: httpx.Request, body: Any, query: dict[str, str], n: str
    ) -> httpx.Response:
        ident = self.add_comment(int(n), body["body"], self.login)
        return httpx.Response(201, json=self.comments[ident])

    def _edit_comment(
        self, request: httpx.Request, body: Any, query: dict[str, str], ident: str
    ) -> httpx.Response:
        comment = self.comments[int(ident)]
        if comment["user"]["login"] != self.login:
            return httpx.Response(403, json={"message": "Forbidden"})
        comment["body"] = body["body"]
        return httpx.Response(200, json=comment)

    def _list_issues(self, request: httpx.Request, body: Any, query: dict[str, str]) -> httpx.Response:
        items = [
            i
            for i in self.issues.values()
            if i["state"] == query.get("state", "open")
            and ("creator" not in query or i["user"]["login"] == query["creator"])
        ]
        return self._page(request, items, query)

    def _create_issue(self, request: httpx.Request, body: Any, query: dict[str, str]) -> httpx.Response:
        number = self.add_issue(
            body=body["body"], user=self.login, title=body["title"], labels=body["labels"]
        )
        return httpx.Response(201, json=self.issues[number])

    def _edit_issue(self, request: httpx.Request, body: Any, query: dict[str, str], n: str) -> httpx.Response:
        issue = self.issues[int(n)]
        issue.update({k: v for k, v in body.items() if k in ("title", "body", "state", "state_reason")})
        return httpx.Response(200, json=issue)

    def _add_labels(self, request: httpx.Request, body: Any, query: dict[str, str], n: str) -> httpx.Response:
        issue = self.issues[int(n)]
        issue["labels"] += [{"name": name} for name in body["labels"]]
        return httpx.Response(200, json=issue["labels"])

    def _remove_label(
        self, request: httpx.Request, body: Any, query: dict[str, str], n: str, name: str
    ) -> httpx.Response:
        issue = self.issues[int(n)]
        if not any(label["name"] == name for label in issue["labels"]):
            return httpx.Response(404, json={"message": "Label does not exist"})
        issue["labels"] = [label for label in issue["labels"] if label["name"] != name]
        return httpx.Response(200, json=issue["labels"])

    routes = (
        (r"GET /issues/(\d+)/comments", _list_comments),
        (r"POST /issues/(\d+)/comments", _create_comment),
        (r"PATCH /issues/comments/(\d+)", _edit_comment),
        (r"GET /issues", _list_issues),
        (r"POST /issues", _create_issue),
        (r"PATCH /issues/(\d+)", _edit_issue),
        (r"POST /issues/(\d+)/labels", _add_labels),
        (r"DELETE /issues/(\d+)/labels/([^/]+)", _remove_label),
    )
