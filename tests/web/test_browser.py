"""The dashboard and the HTML report in a real headless Chromium (Debian's, driven by Playwright).

One browser and one `reconciler serve` for the module. Every page is
watched: no console error, no request to anything but the service on
127.0.0.1 (or the report's own file), no token in any URL. Screenshots of
the main pages go to .screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import CAMPAIGNS, SCREENSHOTS, Site, chromium, run_cli, serving_site

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        reason = "no Chromium: `apt-get install chromium` (make test does it as root) runs these tests"
        print(f"\nSKIPPED browser tests: {reason}")
        pytest.skip(reason)
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serving_site(tmp_path_factory.mktemp("dashboard")) as served:
        yield served


@dataclass
class Watched:
    """A browser context whose every request, console error and visited URL is recorded."""

    context: Any
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def check(self, site: Site | None) -> None:
        assert self.errors == [], self.errors
        for url in self.requests:
            if site is not None:
                assert url.startswith(site.url + "/"), f"a request left 127.0.0.1: {url}"
                assert all(token not in url for token in site.tokens.values()), f"a token in a URL: {url}"
            else:
                assert url.startswith("file://"), f"the report asked the network for {url}"


@pytest.fixture
def watch(browser: Any) -> Iterator[Any]:
    opened: list[Watched] = []

    def open_context(**options: Any) -> Watched:
        context = browser.new_context(viewport=LAPTOP, timezone_id="Europe/Berlin", **options)
        page = context.new_page()
        watched = Watched(context, page)
        context.on("request", lambda request: watched.requests.append(request.url))
        page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        opened.append(watched)
        return watched

    yield open_context
    for watched in opened:
        watched.context.close()


def sign_in(watched: Watched, site: Site, who: str) -> None:
    page = watched.page
    page.goto(site.url + "/")
    assert page.url == site.url + "/signin"
    page.fill("#token", site.tokens[who])
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")


def drawn(page: Any, selector: str) -> int:
    """How many pixels of a canvas are painted (0: blank)."""
    count: int = page.eval_on_selector(
        selector,
        """canvas => {
             const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
             let painted = 0;
             for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
             return painted;
           }""",
    )
    return count


def campaign_url(site: Site, name: str) -> str:
    return f"{site.url}/campaigns/{quote(name, safe='')}"


def test_an_operator_signs_in_sees_every_campaign_and_its_charts(site: Site, watch: Any) -> None:
    watched = watch()
    sign_in(watched, site, "operator")
    page = watched.page
    names = page.locator("table.campaigns tbody th[scope=row]").all_inner_texts()
    assert names == sorted(CAMPAIGNS)
    cookie = next(c for c in watched.context.cookies() if c["name"] == "reconciler_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert site.tokens["operator"] not in cookie["value"]
    for name in ("Q3-Outbound", "Sales/West", "Renewals <EMEA>"):  # figures once a round has read them
        page.goto(campaign_url(site, name))
        page.click("button[data-action=pace]")
        page.wait_for_selector(".flash-ok")
        assert "paced:" in page.inner_text(".flash-ok")
    page.goto(site.url + "/")
    watched.shot("campaigns")
    page.click("text=Q3-Outbound")
    page.wait_for_url(campaign_url(site, "Q3-Outbound"))
    for chart in ("answer", "abandon", "pacing"):
        assert drawn(page, f'canvas[data-chart="{chart}"]') > 500, f"the {chart} chart is blank"
    datasets = page.evaluate(
        """() => Chart.getChart(document.querySelector('canvas[data-chart="pacing"]')).data.datasets
                 .map(d => [d.label, d.data.length, d.stepped || false])"""
    )
    decisions = page.locator("table.decisions tbody tr").count()
    assert datasets[0][0] == "calls per minute" and datasets[0][2] == "before" and datasets[0][1] >= 144
    assert datasets[1] == ["pacing decision", decisions, False] and decisions > 0
    cap = page.evaluate(
        """() => Chart.getChart(document.querySelector('canvas[data-chart="abandon"]')).data.datasets[1]"""
    )
    assert cap["label"] == "cap 3 %" and {p["y"] for p in cap["data"]} == {3}
    assert "Europe/Berlin" in page.inner_text("[data-zone]")
    watched.shot("campaign")
    page.set_viewport_size({"width": 1024, "height": 1240})
    watched.shot("readme", full_page=False)  # docs/dashboard.png is made from this one
    page.set_viewport_size(LAPTOP)
    canvas = page.locator('canvas[data-chart="pacing"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    mark = page.evaluate(
        """() => { const p = Chart.getChart(document.querySelector('canvas[data-chart="pacing"]'))
                     .getDatasetMeta(1).data[0]; return [p.x, p.y]; }"""
    )
    page.mouse.move(box["x"] + mark[0], box["y"] + mark[1])
    tooltip = page.evaluate(
        """() => Chart.getChart(document.querySelector('canvas[data-chart="pacing"]')).tooltip.body
                 .flatMap(b => b.lines).join(' ')"""
    )
    reason = page.locator("table.decisions tbody tr").last.locator("td").last.text_content()
    assert "decision: 12 → 30 calls/min" in tooltip and reason in tooltip  # the oldest decision, on hover
    page.goto(site.url + "/events")
    assert page.locator("table.events tbody tr").count() > 0
    assert "calls/min" in page.inner_text("table.events")
    watched.shot("events")
    watched.check(site)


def test_operator_buttons_suspend_with_a_reason_and_resume(site: Site, watch: Any) -> None:
    watched = watch()
    sign_in(watched, site, "operator")
    page = watched.page
    page.goto(campaign_url(site, "Sales/West"))
    page.fill("#reason", "complaint spike <b>hold</b>")
    page.click("button[data-action=suspend]")
    page.wait_for_selector(".facts .suspended")
    assert "complaint spike <b>hold</b>" in page.inner_text(".facts .suspended")  # shown, not parsed
    shown = site.api(f"/api/v1/campaigns/{quote('Sales/West', safe='')}")
    assert shown["suspended"] is not None and shown["drift"] == "suspended"
    assert page.locator("button[data-action=launch]").count() == 0
    page.click("button[data-action=resume]")
    page.wait_for_selector("button[data-action=suspend]")
    assert site.api(f"/api/v1/campaigns/{quote('Sales/West', safe='')}")["suspended"] is None
    watched.check(site)


def test_a_viewer_sees_no_operator_buttons(site: Site, watch: Any) -> None:
    watched = watch()
    sign_in(watched, site, "viewer")
    page = watched.page
    page.goto(campaign_url(site, "Q3-Outbound"))
    assert "vera" in page.inner_text(".who") and "viewer" in page.inner_text(".who")
    assert page.locator("form[action*='/campaigns/']").count() == 0
    assert page.locator("button[data-action]").count() == 0
    assert drawn(page, 'canvas[data-chart="abandon"]') > 500
    watched.shot("campaign-viewer")
    watched.check(site)


def test_a_cross_site_form_post_suspends_nothing(site: Site, watch: Any) -> None:
    watched = watch()
    sign_in(watched, site, "operator")
    target = f"{site.url}/campaigns/Q3-Outbound/suspend"
    evil = f"""<!doctype html><title>win a prize</title>
      <form id=f method=post action="{target}"><input name=reason value="pwned by a cross-site form">
      <input name=csrf value="guess"></form><script>document.getElementById('f').submit()</script>"""
    watched.page.route("http://evil.test/**", lambda r: r.fulfill(body=evil, content_type="text/html"))
    watched.page.goto("http://evil.test/prize")
    watched.page.wait_for_load_state("networkidle")
    assert site.api("/api/v1/campaigns/Q3-Outbound")["suspended"] is None
    events = site.api("/api/v1/events?limit=1000")["events"]
    assert isinstance(events, list) and not any("pwned" in e["message"] for e in events)
    assert watched.page.url.startswith(site.url + "/signin")  # no cookie went with it: asked to sign in


def test_pages_read_at_phone_width_and_without_javascript(site: Site, watch: Any) -> None:
    phone = watch()
    phone.page.set_viewport_size(PHONE)
    sign_in(phone, site, "operator")
    width = phone.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the campaign table overflows a phone: {width}"
    phone.shot("campaigns-phone")
    phone.page.goto(campaign_url(site, "Renewals <EMEA>"))
    assert drawn(phone.page, 'canvas[data-chart="pacing"]') > 500
    phone.shot("campaign-phone")
    phone.check(site)
    plain = watch(java_script_enabled=False)
    sign_in(plain, site, "viewer")
    assert plain.page.locator("table.campaigns tbody tr").count() == len(CAMPAIGNS)
    plain.page.goto(campaign_url(site, "Q3-Outbound"))
    assert "UTC" in plain.page.text_content("table.decisions")  # times as served, their zone named
    plain.check(site)


def test_sign_out_ends_the_session(site: Site, watch: Any) -> None:
    watched = watch()
    sign_in(watched, site, "viewer")
    watched.page.click(".signout button")
    watched.page.wait_for_url(site.url + "/signin")
    watched.page.goto(site.url + "/events")
    assert watched.page.url.startswith(site.url + "/signin")
    watched.check(site)


def test_the_html_report_renders_from_a_file_with_no_network(site: Site, watch: Any) -> None:
    run_cli(site.root, "summary", "--format", "html", "--out", "report.html")
    watched = watch()
    watched.page.goto((site.root / "report.html").as_uri())
    rows = watched.page.locator("table.campaigns tbody th[scope=row]").all_inner_texts()
    assert rows == sorted(CAMPAIGNS)
    assert drawn(watched.page, 'canvas[data-chart="report-abandon"]') > 500
    for index in range(len(CAMPAIGNS)):
        assert drawn(watched.page, f'canvas[data-chart="report-rates"][data-index="{index}"]') > 100
    watched.shot("report")
    watched.check(None)
