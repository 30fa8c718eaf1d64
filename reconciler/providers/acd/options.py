"""Every setting of `provider: cxone-acd`, with its default: one place for each [I] and [U] of cxone-acd.md.

Whatever the research could not verify against a live tenant is a knob
here (or a guarded error in the mapping), never a constant buried in code.
``from_env`` reads the ``CXONE_ACD_*`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from reconciler.errors import ConfigError

__all__ = ["DEFAULT_AUTH_BASE", "DEFAULT_VERSION", "AcdOptions", "from_env"]

DEFAULT_AUTH_BASE = "https://cxone.niceincontact.com"
"""The global issuer: /auth/token and /.well-known/cxone-configuration [V:OAS]."""
DEFAULT_VERSION = "34.0"


@dataclass(frozen=True, kw_only=True)
class AcdOptions:
    """How to reach and drive one CXone business unit through the Admin (ACD) API."""

    access_key_id: str
    access_key_secret: SecretStr
    auth_base: str = DEFAULT_AUTH_BASE
    """Where /auth/token and the discovery document live."""
    api_base: str | None = None
    """The API host (``api_endpoint``); None: discovered from the token's tenant [V:OAS]."""
    api_version: str = DEFAULT_VERSION
    client_id: str | None = None
    """Optional OAuth client of a registered app, sent as Basic auth with the password grant."""
    client_secret: SecretStr | None = None
    rate_limit: float = 5.0
    """Requests per second: no ACD rate limit is documented [U], so the default is modest."""
    page_size: int = 100
    """``top`` of every list read: the default and maximum page sizes are [U]."""
    campaign: str = "Default Campaign"
    """The reporting campaign new skills join when a spec names none (``campaignId`` is required)."""
    create_campaign: bool = True
    """Create the reporting campaign when it does not exist."""
    resolve_attempts: int = 4
    resolve_delay: float = 2.5
    """A new skill is looked up by name this many times, this far apart (lists lag creates) [V:MCP]."""
    tenant_dnc_group: str | None = None
    """The DNC group ``dnc.enforceLocal`` means: how the API names the tenant DNC group is [U]."""
    schedule_time_zone: str | None = None
    """The IANA zone skill schedules run in; None: the business unit's ``defaultTimeZone`` [I]."""
    predictive_ratio: int = 2
    """``maximumRatio`` for PREDICTIVE when the spec sets none (progressive is 1) [I]."""
    preview_preferences: Mapping[str, object] = field(
        default_factory=lambda: {"confirmationRequiredDisabled": False}
    )
    """Delivery preferences that make a skill PREVIEW; the value codes are [U]."""
    force_stop: bool = False
    """Stop with ``force=true`` (hangs up live calls): only ever by an explicit flag."""
    transition_timeout: float = 120.0
    """How long a start or stop may take before ``isRunning`` shows it [U]."""
    upload_timeout: float = 300.0
    """How long a calling-list upload job may take."""
    stats_days: int = 30
    """The period ``statistics`` and ``realtime`` read figures over (a skill's creation date is unknown)."""
    login_margin: float = 300.0
    """Log in again this many seconds before the token expires [V:MCP]."""

    def __repr__(self) -> str:
        return f"AcdOptions(api_base={self.api_base!r}, access_key_id={self.access_key_id!r})"

    @property
    def label(self) -> str:
        return self.api_base or f"{self.auth_base} (discovered)"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} cannot be negative, got {raw!r}")
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def from_env(env: Mapping[str, str] | None = None) -> AcdOptions:
    """Options from ``CXONE_ACCESS_KEY_ID``/``CXONE_ACCESS_KEY_SECRET`` and the ``CXONE_ACD_*`` variables."""
    env = os.environ if env is None else env
    missing = [n for n in ("CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET") if not env.get(n)]
    if missing:
        raise ConfigError(
            f"provider cxone-acd needs {' and '.join(missing)}",
            hint="create an access key for an API user in CXone (My Profile > ACCESS KEYS)",
        )
    version = env.get("CXONE_API_VERSION", DEFAULT_VERSION).strip().removeprefix("v")
    if not version.replace(".", "", 1).isdigit():
        raise ConfigError(f"CXONE_API_VERSION must look like 34.0, got {version!r}")
    client_secret = env.get("CXONE_CLIENT_SECRET")
    return AcdOptions(
        access_key_id=env["CXONE_ACCESS_KEY_ID"],
        access_key_secret=SecretStr(env["CXONE_ACCESS_KEY_SECRET"]),
        auth_base=_url(env, "CXONE_AUTH_BASE") or DEFAULT_AUTH_BASE,
        api_base=_url(env, "CXONE_API_BASE"),
        api_version=version if "." in version else f"{version}.0",
        client_id=env.get("CXONE_CLIENT_ID") or None,
        client_secret=SecretStr(client_secret) if client_secret else None,
        rate_limit=_number(env, "CXONE_RATE_LIMIT", 5.0),
        campaign=env.get("CXONE_ACD_CAMPAIGN") or "Default Campaign",
        tenant_dnc_group=env.get("CXONE_ACD_TENANT_DNC_GROUP") or None,
        schedule_time_zone=env.get("CXONE_ACD_SCHEDULE_TIMEZONE") or None,
        force_stop=env.get("CXONE_ACD_FORCE_STOP", "").lower() in ("1", "true", "yes"),
        transition_timeout=_number(env, "CXONE_ACD_TRANSITION_TIMEOUT", 120.0),
        resolve_attempts=int(_number(env, "CXONE_ACD_RESOLVE_ATTEMPTS", 4)) or 1,
        resolve_delay=_number(env, "CXONE_ACD_RESOLVE_DELAY", 2.5),
    )
