"""The dashboard in process: sessions, CSRF, roles, escaping, one source of truth, the HTML report."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import pytest

from reconciler.cli.operate import SUMMARY_RENDERERS
from reconciler.emulator.app import Emulator
from reconciler.performance import Row
from reconciler.service.auth import Principal
from reconciler.service.dashboard import cap_state
from reconciler.service.sessions import COOKIE, SESSION_SECONDS, Sessions
from reconciler.tenant import Statistics
from tests.dashboard_harness import Browser, browsing, csrf_of
from tests.fakes import FakeTime
from tests.service_harness import BASE, Served, serving
from tests.specs import spec_text, write_spec


@pytest.fixture
async def svc(tmp_path: Path, emulator: Emulator, clock: FakeTime) -> AsyncIterator[Served]:
    (tmp_path / "campaigns").mkdir()
    write_spec(
        tmp_path / "campaigns",
        "specs.yaml",
        spec_text("Q3-Outbound", "running"),
        spec_text("Renewals <EMEA>", "running"),
    )
    async with serving(Served(tmp_path, emulator, clock)) as served:
        yield served


@pytest.fixture
async def web(svc: Served) -> AsyncIterator[Browser]:
    async with browsing(svc) as browser:
        yield browser


async def test_every_page_asks_for_a_session_first(web: Browser) -> None:
    for path, goto in (("/", "/signin"), ("/events", "/signin?next=/events")):
        response = await web.http.get(path)
        assert response.status_code == 303 and response.headers["location"] == goto


async def test_sign_in_sets_a_strict_httponly_cookie_and_never_shows_the_token(web: Browser) -> None:
    wrong = await web.http.post("/signin", data={"token": "cxr_wrong"}, headers={"Origin": BASE})
    assert wrong.status_code == 401 and "cxr_wrong" not in wrong.text and COOKIE not in wrong.cookies
    signed = await web.sign_in("viewer")
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Max-Age={int(SESSION_SECONDS)}" in cookie
    )
    token = web.served.tokens["viewer"]
    assert token not in cookie and token not in signed.headers["location"]
    page = await web.page("/")
    assert token not in page and "vera" in page


async def test_a_cross_site_sign_in_is_refused(web: Browser) -> None:
    response = await web.http.post(
        "/signin", data={"token": web.served.tokens["operator"]}, headers={"Origin": "http://evil.test"}
    )
    assert response.status_code == 403 and COOKIE not in response.cookies


async def test_the_table_shows_every_campaign_escaped(web: Browser, svc: Served) -> None:
    await svc.finished(await svc.post("/api/v1/campaigns/Q3-Outbound/launch"))
    await web.sign_in("viewer")
    page = await web.page("/")
    assert "Renewals &lt;EMEA&gt;" in page and "<EMEA>" not in page
    assert 'href="/campaigns/Renewals%20%3CEMEA%3E"' in page
    assert "RUNNING" in page and "in-sync" in page and "not created" in page


async def test_a_viewer_gets_no_forms_and_cannot_post_one(web: Browser, svc: Served) -> None:
    await web.sign_in("viewer")
    page = await web.page("/campaigns/Q3-Outbound")
    assert "data-action" not in page and "/suspend" not in page
    refused = await web.post("/campaigns/Q3-Outbound/suspend", {"csrf": csrf_of(page), "reason": "hold it"})
    assert refused.status_code == 403
    assert svc.c.state.suspensions() == {}


async def test_an_operator_suspends_only_with_the_session_csrf_token(web: Browser, svc: Served) -> None:
    await web.sign_in("operator")
    page = await web.page("/campaigns/Q3-Outbound")
    csrf = csrf_of(page)
    path = "/campaigns/Q3-Outbound/suspend"
    for data, origin in (
        ({"reason": "no token"}, BASE),
        ({"reason": "forged", "csrf": "0" * 64}, BASE),
        ({"reason": "from elsewhere", "csrf": csrf}, "http://evil.test"),
        ({"reason": "opaque origin", "csrf": csrf}, "null"),
    ):
        assert (await web.post(path, data, origin=origin)).status_code == 403
    assert svc.c.state.suspensions() == {}
    done = await web.post(path, {"reason": "complaint spike", "csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/campaigns/Q3-Outbound"
    held = svc.c.state.suspensions()["Q3-Outbound"]
    assert (held.reason, held.actor) == ("complaint spike", "otto")
    shown = await web.page("/campaigns/Q3-Outbound")
    assert "suspended; stopping" in shown and "complaint spike" in shown and 'data-action="resume"' in shown


async def test_another_session_s_csrf_token_does_not_work(web: Browser, svc: Served) -> None:
    await web.sign_in("operator")
    theirs = csrf_of(await web.page("/"))
    await web.sign_in("operator")  # a new session: a new token
    assert csrf_of(await web.page("/")) != theirs
    refused = await web.post("/campaigns/Q3-Outbound/suspend", {"reason": "stale", "csrf": theirs})
    assert refused.status_code == 403 and svc.c.state.suspensions() == {}


async def test_a_refused_operation_is_shown_not_raised(web: Browser) -> None:
    await web.sign_in("operator")
    csrf = csrf_of(await web.page("/"))
    done = await web.post("/campaigns/Q3-Outbound/pace", {"csrf": csrf})
    assert done.status_code == 303
    assert "its spec has no adaptivePacing" in await web.page("/campaigns/Q3-Outbound")


async def test_the_session_expires_and_sign_out_ends_it(web: Browser, svc: Served, clock: FakeTime) -> None:
    await web.sign_in("viewer")
    page = await web.page("/")
    clock.advance(SESSION_SECONDS + 1)
    assert (await web.http.get("/")).status_code == 303
    await web.sign_in("viewer")
    page = await web.page("/")
    cookie = web.http.cookies[COOKIE]
    out = await web.post("/signout", {"csrf": csrf_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    web.http.cookies.set(COOKIE, cookie)  # a copy kept after signing out is refused
    assert (await web.http.get("/")).status_code == 303


async def test_the_campaign_page_charts_the_api_s_own_history(web: Browser, svc: Served) -> None:
    state = svc.c.state
    now = svc.c.now()
    pacing = {"callsPerMinute": 12, "maxConcurrent": 20}
    for step in range(3):
        state.add_sample(
            "Q3-Outbound",
            at=now - 600 * step,
            answer_rate=0.3,
            abandon_rate=0.01,
            active_calls=4,
            pacing=pacing,
        )
    decision = {
        "name": "Q3-Outbound",
        "campaignId": "CMP-1",
        "from": pacing,
        "to": {**pacing, "callsPerMinute": 20},
        "reason": "<b>rule 1</b>",
        "applied": True,
    }
    state.add_decision("Q3-Outbound", {**decision, "at": "2026-01-01T00:00:00.000Z"}, at=now - 300)
    state.add_sample(
        "Q3-Outbound", at=now - 90000, answer_rate=0.9, abandon_rate=0.5, active_calls=1, pacing=pacing
    )
    await web.sign_in("viewer")
    page = await web.page("/campaigns/Q3-Outbound")
    embedded = re.search(r'<script type="application/json" id="history-data">(.*?)</script>', page, re.S)
    assert embedded is not None
    data = json.loads(unescape(embedded.group(1)))
    api = (await svc.get("/api/v1/campaigns/Q3-Outbound/history")).json()
    assert data == {"cap": 0.03, **api} and len(data["samples"]) == 3  # the day only, as the API
    assert "<b>rule 1</b>" not in page and "&lt;b&gt;rule 1&lt;/b&gt;" in page


async def test_pages_send_a_strict_content_security_policy(web: Browser) -> None:
    await web.sign_in("viewer")
    response = await web.http.get("/")
    policy = response.headers["content-security-policy"]
    assert (
        "default-src 'none'" in policy
        and "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
    )
    assert "<script>" not in response.text  # no inline script: the policy allows none
    chart = await web.http.get("/static/vendor/chart.js/chart.umd.min.js")
    assert chart.status_code == 200 and "Chart.js v4.6.1" in chart.text


def test_sessions_refuse_forged_expired_and_revoked_cookies() -> None:
    now = [1000.0]
    sessions = Sessions(lambda: now[0])
    session, cookie = sessions.issue(Principal("otto", "operator"))
    assert sessions.check(cookie) == session
    payload, mac = cookie.split(".")
    assert sessions.check(f"{payload}.{'0' * len(mac)}") is None
    assert Sessions(lambda: now[0]).check(cookie) is None  # another key: a restarted service
    assert sessions.csrf_ok(session, sessions.csrf(session)) and not sessions.csrf_ok(session, "")
    now[0] += SESSION_SECONDS
    assert sessions.check(cookie) is None
    now[0] = 1000.0
    sessions.revoke(session)
    assert sessions.check(cookie) is None


def test_cap_state_flags_over_and_near() -> None:
    assert cap_state(None, 0.03) is None
    assert cap_state(0.031, 0.03) == "over"
    assert cap_state(0.025, 0.03) == "near"
    assert cap_state(0.01, 0.03) == "ok"


def test_the_html_report_is_self_contained_escaped_and_flags_the_cap() -> None:
    rows = [
        Row("Q3 <script>alert(1)</script>", "CMP-1", "RUNNING", Statistics(100, 50, 1, 120.0, 0.5), 0.03),
        Row("Hot", "CMP-2", "RUNNING", Statistics(100, 40, 4, 90.0, 0.4), 0.03),
    ]
    page = SUMMARY_RENDERERS["html"](rows, "prod")
    assert "Generated" in page
    assert "<script>alert(1)</script>" not in page and "Q3 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "over 3.0 % cap" in page and "1 campaign over the abandon-rate cap" in page
    assert "Chart.js v4.6.1" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing to fetch
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert data is not None
    assert [r["name"] for r in json.loads(unescape(data.group(1)))["rows"]] == [r.name for r in rows]
