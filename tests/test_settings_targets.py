"""Which target: a tenant only when CXONE_API_BASE says so, the sandbox only when nothing is given."""

from __future__ import annotations

import pytest

from reconciler.errors import ConfigError
from reconciler.settings import from_env

CREDENTIALS = {"CXONE_CLIENT_ID": "ci", "CXONE_CLIENT_SECRET": "s3cret-value"}


def test_nothing_given_is_the_sandbox() -> None:
    target = from_env({}, strict=True)
    assert target.sandbox is not None
    assert target.label == "sandbox .reconciler/sandbox.db"
    assert from_env({"CXONE_RATE_LIMIT": "5"}, strict=True).sandbox is not None


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_api_base_with_credentials_is_an_error_not_the_sandbox(empty: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_env({"CXONE_API_BASE": empty, **CREDENTIALS}, strict=True)
    assert caught.value.message == "CXONE_API_BASE is set but empty"
    assert caught.value.hint is not None and "unset it to use the embedded sandbox" in caught.value.hint
    assert "s3cret-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (CREDENTIALS, "CXONE_CLIENT_ID, CXONE_CLIENT_SECRET are set"),
        ({"CXONE_CLIENT_SECRET": "x"}, "CXONE_CLIENT_SECRET is set"),
        ({"CXONE_TOKEN_URL": "https://auth.example/token"}, "CXONE_TOKEN_URL is set"),
        ({"CXONE_SCOPE": "campaign:read"}, "CXONE_SCOPE is set"),
    ],
)
def test_target_settings_without_an_api_base_are_an_error(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_env(env, strict=True)
    assert caught.value.message == f"{named} but CXONE_API_BASE is not"
    assert caught.value.hint is not None and "CXONE_API_BASE" in caught.value.hint


@pytest.mark.parametrize(
    "base",
    ["cxone.example", "ftp://cxone.example", "https://", "http:///path", "https://host:notaport", "https//x"],
)
def test_an_api_base_must_be_http_with_a_host(base: str) -> None:
    with pytest.raises(ConfigError, match="CXONE_API_BASE must be an http\\(s\\) URL with a host"):
        from_env({"CXONE_API_BASE": base, **CREDENTIALS})


def test_a_token_url_must_be_http_with_a_host() -> None:
    env = {"CXONE_API_BASE": "https://cxone.example", **CREDENTIALS, "CXONE_TOKEN_URL": "auth.example/token"}
    with pytest.raises(ConfigError, match="CXONE_TOKEN_URL must be an http\\(s\\) URL with a host"):
        from_env(env)


def test_a_valid_tenant_is_still_a_tenant_in_strict_mode() -> None:
    target = from_env({"CXONE_API_BASE": "https://cxone.example:8443/", **CREDENTIALS}, strict=True)
    assert (target.base_url, target.sandbox) == ("https://cxone.example:8443", None)
