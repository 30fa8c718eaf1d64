"""Credentials in a base URL (user:pass@host) are never shown; the client still uses OAuth."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from reconciler.cxone.auth import ClientCredentials
from reconciler.cxone.client import CxoneClient
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.errors import ConfigError, Unreachable
from reconciler.settings import from_env, redact_url
from tests.conftest import Tenant
from tests.fakes import FakeTime
from tests.specs import spec_text, write_spec

CREDENTIALS = {"CXONE_CLIENT_ID": "ci", "CXONE_CLIENT_SECRET": "s3cret-value"}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:p4ss@cxone.example:8443/base?x=1", "https://cxone.example:8443/base?x=1"),
        ("https://user@cxone.example", "https://cxone.example"),
        # a raw '#', '/' or '?' in a password ends urlsplit's netloc early: still never shown
        ("https://bob:s3cr#et@api.example.com", "https://api.example.com"),
        ("https://bob:s3/cr@api.example.com/x", "https://api.example.com/x"),
        ("https://bob:s3?cr@api.example.com", "https://api.example.com"),
        ("https://cxone.example", "https://cxone.example"),
    ],
)
def test_redact_url_drops_userinfo_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_target_label_and_repr_never_show_url_credentials() -> None:
    target = from_env({"CXONE_API_BASE": "https://user:p4ss@cxone.example/", **CREDENTIALS})
    assert target.label == "https://cxone.example"
    assert "p4ss" not in repr(target) and "user" not in target.label
    with pytest.raises(ConfigError) as caught:
        from_env({"CXONE_API_BASE": "ftp://user:p4ss@cxone.example", **CREDENTIALS})
    assert "p4ss" not in str(caught.value)


async def test_the_client_uses_oauth_and_shows_no_url_credentials(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    clock = FakeTime()
    base = "http://user:p4ss@127.0.0.1:9"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-secret-1", "expires_in": 3600})
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    auth = ClientCredentials(
        token_url=f"{base}/oauth/token",
        client_id="ci",
        client_secret=SecretStr("s3cret-value"),
        scope="",
        clock=clock.monotonic,
        wall=clock.wall,
    )
    client = CxoneClient(
        base_url=base,
        auth=auth,
        transport=httpx.MockTransport(handler),
        config=ResilienceConfig(rate_per_second=0, max_attempts=2),
        runtime=clock.runtime,
    )
    async with client:
        with pytest.raises(Unreachable) as caught:
            await client.list_campaigns()
    token_request, api_request = seen[0], seen[1]
    assert "Authorization" not in token_request.headers  # client credentials go in the form
    assert api_request.headers["Authorization"] == "Bearer tok-secret-1"
    shown = "\n".join(
        [str(caught.value), repr(client), repr(auth), *(r.getMessage() for r in caplog.records)]
    )
    assert "127.0.0.1:9" in str(caught.value)
    for secret in ("p4ss", "user:", "s3cret-value", "tok-secret-1"):
        assert secret not in shown


def test_plans_and_the_trace_name_the_target_without_url_credentials(tenant: Tenant, tmp_path: Path) -> None:
    write_spec(tmp_path, "c.yaml", spec_text())
    tenant.env["CXONE_API_BASE"] = tenant.url.replace("http://", "http://user:p4ss@")
    code, out = tenant.run("-v", "plan", "--out", str(tmp_path / "plan.json"), str(tmp_path))
    assert code in (0, 2), out
    assert f"Target: {tenant.url}" in out
    assert "http: POST /oauth/token -> 200" in out
    assert "p4ss" not in out
    assert "p4ss" not in (tmp_path / "plan.json").read_text()


@pytest.mark.parametrize("password", ["s3cr#et", "s3/cret", "s3?cret"])
def test_a_password_with_url_delimiters_is_never_printed(password: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    write_spec(tmp_path, "c.yaml", spec_text())
    env = {"CXONE_API_BASE": f"https://bob:{password}@api.example.com", **CREDENTIALS}
    result = CliRunner().invoke(main, ["plan", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert password not in result.output and "s3cret-value" not in result.output
