"""The target tenant and its credentials, from the environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from reconciler.cxone.urls import redact_url

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_PROVIDER",
    "PROVIDERS",
    "SANDBOX_PATH",
    "Target",
    "check_url",
    "from_env",
    "redact_url",
]
from reconciler.errors import ConfigError

ALL_SCOPES = "campaign:read campaign:write contactlist:read dnc:read statistics:read"
SANDBOX_PATH = Path(".reconciler") / "sandbox.db"
SANDBOX_CLIENT_ID = "demo"
SANDBOX_CLIENT_SECRET = "demo-secret"  # the emulator's published demo credential
SANDBOX_BASE = "http://sandbox.invalid"


@dataclass(frozen=True)
class Target:
    """Where commands act: a real tenant, or the embedded sandbox."""

    base_url: str
    client_id: str
    client_secret: SecretStr
    token_url: str
    scope: str
    sandbox: Path | None = None
    rate_limit: float | None = None
    """Requests/s the user set (CXONE_RATE_LIMIT, --rate-limit): the adaptive rate's start and
    ceiling, the fixed rate without ``adaptive``; 0 = no limit; None = not set (start at the default)."""
    adaptive: bool = True
    """Find the tenant's budget by itself (--no-adaptive pins the rate)."""
    provider: str = "cxone-campaigns"
    """Which API the tenant speaks: one of ``PROVIDERS``."""
    provider_env: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    """The CXONE_* settings a real cxone-acd target was built from (its access key among them): the
    provider reads these, never the ambient environment. Never shown (``repr``, ``label``)."""

    @property
    def label(self) -> str:
        """How output, plans and errors name the target: never with credentials from the URL."""
        where = f"sandbox {self.sandbox}" if self.sandbox else redact_url(self.base_url)
        return where if self.provider == DEFAULT_PROVIDER else f"{where} ({self.provider})"

    def __repr__(self) -> str:
        return f"Target({self.label!r}, client_id={self.client_id!r})"


DEFAULT_PROVIDER = "cxone-campaigns"
PROVIDERS = (DEFAULT_PROVIDER, "cxone-acd")
"""The tutorial's Campaigns API (cxone-api.yaml), and the real CXone Admin (ACD) API."""
ACD_SETTINGS = ("CXONE_AUTH_BASE", "CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET")

TARGET_SETTINGS = ("CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET", "CXONE_TOKEN_URL", "CXONE_SCOPE")
"""Settings that only mean something for a real tenant (flags land in the same names)."""


def from_env(
    env: Mapping[str, str] | None = None,
    *,
    sandbox: Path = SANDBOX_PATH,
    rate_limit: float | None = None,
    adaptive: bool = True,
    strict: bool = False,
) -> Target:
    """CXONE_* variables select a tenant; with no target setting at all, the sandbox.

    ``strict`` refuses the ambiguous cases instead of falling back to the
    sandbox: CXONE_API_BASE set but empty (as ``${{ vars.CXONE_API_BASE }}``
    is when the variable is missing), or credentials, token URL or scope
    given without CXONE_API_BASE. The CLI should pass ``strict=True``.
    """
    env = os.environ if env is None else env
    raw_base = env.get("CXONE_API_BASE")
    base = (raw_base or "").strip().rstrip("/")
    limit = rate_limit if rate_limit is not None else _rate(env)
    provider = (env.get("CXONE_PROVIDER") or DEFAULT_PROVIDER).strip()
    if provider not in PROVIDERS:
        raise ConfigError(
            f"CXONE_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider!r}",
            hint="cxone-acd for a real CXone tenant's Admin API; unset it for the Campaigns API",
        )
    if provider != DEFAULT_PROVIDER:
        return _acd_target(env, base, sandbox=sandbox, rate_limit=limit, strict=strict)
    if not base:
        if strict:
            _refuse_half_a_target(env, raw_base)
        return Target(
            base_url=SANDBOX_BASE,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
            token_url=f"{SANDBOX_BASE}/oauth/token",
            scope=env.get("CXONE_SCOPE", ALL_SCOPES),
            sandbox=sandbox,
            rate_limit=limit,
            adaptive=adaptive,
        )
    check_url("CXONE_API_BASE", base)
    missing = [name for name in ("CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET") if not env.get(name)]
    if missing:
        raise ConfigError(
            f"CXONE_API_BASE is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not",
            hint="export the API client's credentials, or unset CXONE_API_BASE to use the sandbox",
        )
    token_url = (env.get("CXONE_TOKEN_URL") or "").strip() or f"{base}/oauth/token"
    check_url("CXONE_TOKEN_URL", token_url)
    return Target(
        base_url=base,
        client_id=env["CXONE_CLIENT_ID"],
        client_secret=SecretStr(env["CXONE_CLIENT_SECRET"]),
        token_url=token_url,
        scope=env.get("CXONE_SCOPE", ALL_SCOPES),
        rate_limit=limit,
        adaptive=adaptive,
    )


def _acd_target(
    env: Mapping[str, str], base: str, *, sandbox: Path, rate_limit: float | None, strict: bool
) -> Target:
    """A business unit through the ACD API (its settings are read by the provider), or its sandbox.

    As for the Campaigns API, the sandbox is chosen only when no target setting is
    given at all; with ``strict``, a URL set but empty or an access key half given is an
    error naming the variable, never a silent sandbox.
    """
    auth = (env.get("CXONE_AUTH_BASE") or "").strip().rstrip("/")
    given = [name for name in ("CXONE_API_BASE", *ACD_SETTINGS, *TARGET_SETTINGS) if name in env]
    if strict:
        empty = [name for name in given if not (env.get(name) or "").strip()]
        if empty:
            raise ConfigError(
                f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} set but empty",
                hint="give the business unit's settings (see README: Real tenants), "
                "or unset them to use the embedded sandbox",
            )
        keys = ("CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET")
        missing = [name for name in keys if not env.get(name)]
        if given and missing:
            raise ConfigError(
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not",
                hint="export the access key of the business unit's API user, "
                "or unset the other settings to use the embedded sandbox",
            )
    if not given:
        return Target(
            base_url=SANDBOX_BASE,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
            token_url=f"{SANDBOX_BASE}/auth/token",
            scope="",
            sandbox=sandbox,
            rate_limit=rate_limit,
            provider="cxone-acd",
        )
    for name, url in (("CXONE_API_BASE", base), ("CXONE_AUTH_BASE", auth)):
        if url:
            check_url(name, url)
    shown = base or auth or "https://cxone.niceincontact.com"
    token_url = (env.get("CXONE_TOKEN_URL") or "").strip() or f"{auth or shown}/auth/token"
    check_url("CXONE_TOKEN_URL", token_url)
    return Target(
        base_url=shown,
        provider_env={k: v for k, v in env.items() if k.startswith("CXONE_")},
        # the provider reads its access key from provider_env; an OAuth client is optional (Basic auth)
        client_id=env.get("CXONE_CLIENT_ID", ""),
        client_secret=SecretStr(env.get("CXONE_CLIENT_SECRET", "")),
        token_url=token_url,
        scope=env.get("CXONE_SCOPE", ""),
        rate_limit=rate_limit,
        provider="cxone-acd",
    )


def _refuse_half_a_target(env: Mapping[str, str], raw_base: str | None) -> None:
    if raw_base is not None:
        raise ConfigError(
            "CXONE_API_BASE is set but empty",
            hint="set it to the tenant's API base URL (e.g. https://api-na1.niceincontact.com; in CI, "
            "define the variable the workflow reads), or unset it to use the embedded sandbox",
        )
    given = [name for name in TARGET_SETTINGS if name in env]
    if given:
        raise ConfigError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set but CXONE_API_BASE is not",
            hint="set CXONE_API_BASE (or --api-base) to the tenant's API base URL, "
            f"or unset {', '.join(given)} to use the embedded sandbox",
        )


def check_url(name: str, url: str) -> None:
    """A clear error unless ``url`` is an http(s) URL with a host (and a valid port)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(
            f"{name} must be an http(s) URL with a host, got {redact_url(url)!r}",
            hint="e.g. https://api-na1.niceincontact.com",
        )


def _rate(env: Mapping[str, str]) -> float | None:
    raw = env.get("CXONE_RATE_LIMIT")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"CXONE_RATE_LIMIT must be requests per second, got {raw!r}", hint="e.g. 20"
        ) from None
    if value < 0:
        raise ConfigError("CXONE_RATE_LIMIT cannot be negative", hint="0 turns the limit off")
    return value
