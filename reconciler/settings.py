"""The target tenant and its credentials, from the environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

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
    rate_limit: float = 20.0

    @property
    def label(self) -> str:
        return f"sandbox {self.sandbox}" if self.sandbox else self.base_url

    def __repr__(self) -> str:
        return f"Target({self.label!r}, client_id={self.client_id!r})"


def from_env(
    env: Mapping[str, str] | None = None,
    *,
    sandbox: Path = SANDBOX_PATH,
    rate_limit: float | None = None,
) -> Target:
    """CXONE_* variables select a tenant; without CXONE_API_BASE, the sandbox."""
    env = os.environ if env is None else env
    base = env.get("CXONE_API_BASE", "").strip().rstrip("/")
    limit = rate_limit if rate_limit is not None else _rate(env)
    if not base:
        return Target(
            base_url=SANDBOX_BASE,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
            token_url=f"{SANDBOX_BASE}/oauth/token",
            scope=env.get("CXONE_SCOPE", ALL_SCOPES),
            sandbox=sandbox,
            rate_limit=limit,
        )
    if not base.startswith(("http://", "https://")):
        raise ConfigError(
            f"CXONE_API_BASE must be an http(s) URL, got {base!r}",
            hint="e.g. https://api-na1.niceincontact.com",
        )
    missing = [name for name in ("CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET") if not env.get(name)]
    if missing:
        raise ConfigError(
            f"CXONE_API_BASE is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not",
            hint="export the API client's credentials, or unset CXONE_API_BASE to use the sandbox",
        )
    return Target(
        base_url=base,
        client_id=env["CXONE_CLIENT_ID"],
        client_secret=SecretStr(env["CXONE_CLIENT_SECRET"]),
        token_url=env.get("CXONE_TOKEN_URL") or f"{base}/oauth/token",
        scope=env.get("CXONE_SCOPE", ALL_SCOPES),
        rate_limit=limit,
    )


def _rate(env: Mapping[str, str]) -> float:
    raw = env.get("CXONE_RATE_LIMIT", "20")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"CXONE_RATE_LIMIT must be requests per second, got {raw!r}", hint="e.g. 20"
        ) from None
    if value < 0:
        raise ConfigError("CXONE_RATE_LIMIT cannot be negative", hint="0 turns the limit off")
    return value
