"""The provider is chosen per target: the Campaigns API by default, the ACD API with CXONE_PROVIDER."""

from __future__ import annotations

import pytest

from reconciler.errors import ConfigError
from reconciler.settings import from_env


def test_the_campaigns_api_is_the_default_provider() -> None:
    target = from_env({}, strict=True)
    assert target.provider == "cxone-campaigns" and target.sandbox is not None
    assert target.label == "sandbox .reconciler/sandbox.db"


def test_the_acd_provider_with_no_settings_is_its_own_sandbox_and_says_so() -> None:
    target = from_env({"CXONE_PROVIDER": "cxone-acd"}, strict=True)
    assert target.provider == "cxone-acd" and target.sandbox is not None
    assert target.label == "sandbox .reconciler/sandbox.db (cxone-acd)"


def test_the_acd_provider_needs_no_oauth_client_and_shows_no_secret() -> None:
    env = {
        "CXONE_PROVIDER": "cxone-acd",
        "CXONE_AUTH_BASE": "https://user:pw@cxone.example",
        "CXONE_ACCESS_KEY_ID": "key",
        "CXONE_ACCESS_KEY_SECRET": "never-shown",
    }
    target = from_env(env, strict=True)
    assert target.provider == "cxone-acd" and target.sandbox is None
    assert "pw" not in target.label and "never-shown" not in repr(target)


def test_an_unknown_provider_is_an_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="cxone-campaigns, cxone-acd"):
        from_env({"CXONE_PROVIDER": "genesys"})
