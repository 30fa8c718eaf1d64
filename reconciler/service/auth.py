"""Who is calling: bearer tokens checked against a file of SHA-256 hashes, and GitHub webhook signatures.

The tokens file (YAML) is a list of ``{name, role, sha256}``; it never holds
a token in clear. Every comparison is constant-time, and no function here
returns, logs or raises with a token or a secret in it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError

__all__ = [
    "NO_AUTH",
    "ROLES",
    "Principal",
    "TokenEntry",
    "Tokens",
    "mint",
    "signature_ok",
]

ROLES = ("viewer", "operator")


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: the token's name and its role."""

    name: str
    role: str

    @property
    def operator(self) -> bool:
        return self.role == "operator"


NO_AUTH = Principal("anonymous", "operator")
"""Every caller under ``--no-auth`` (loopback only)."""


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: str
    sha256: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """The tokens file, loaded and checked."""

    def __init__(self, entries: Sequence[TokenEntry]) -> None:
        self.entries = tuple(entries)

    @classmethod
    def load(cls, path: str | Path) -> Tokens:
        where = str(path)
        try:
            data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"cannot read the tokens file {where}: {exc.strerror}",
                hint="mint one with `reconciler serve token NAME --role operator --tokens FILE`",
            ) from None
        except yaml.YAMLError:
            raise ConfigError(f"the tokens file {where} is not valid YAML") from None
        if data is None:
            data = []
        if not isinstance(data, list):
            raise ConfigError(f"the tokens file {where} must be a list of {{name, role, sha256}}")
        entries = []
        for index, item in enumerate(data, start=1):
            if not isinstance(item, dict) or set(item) != {"name", "role", "sha256"}:
                raise ConfigError(f"{where}: entry {index} must have exactly name, role and sha256")
            name, role, digest = item["name"], item["role"], item["sha256"]
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{where}: entry {index}: name must be a non-empty string")
            if role not in ROLES:
                raise ConfigError(f"{where}: entry {index} ({name}): role must be viewer or operator")
            if not isinstance(digest, str) or len(digest) != 64 or not _is_hex(digest):
                raise ConfigError(f"{where}: entry {index} ({name}): sha256 must be 64 hex digits")
            entries.append(TokenEntry(name, role, digest.lower()))
        return cls(entries)

    def identify(self, token: str) -> Principal | None:
        """The token's principal, or None; every entry is compared, each in constant time."""
        digest = _hash(token).encode()
        found: Principal | None = None
        for entry in self.entries:
            if hmac.compare_digest(digest, entry.sha256.encode()):
                found = Principal(entry.name, entry.role)
        return found


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def mint(path: str | Path, name: str, role: str) -> str:
    """A new token for ``name``: its hash appended to the file (created 0600); the token returned once."""
    if role not in ROLES:
        raise ConfigError(f"role must be viewer or operator, got {role!r}")
    target = Path(path)
    existing = Tokens.load(target).entries if target.exists() else ()
    if any(e.name == name for e in existing):
        raise ConfigError(
            f"the tokens file {target} already has a token named {name!r}",
            hint="pick another name, or delete its entry from the file to replace it",
        )
    token = "cxr_" + secrets.token_urlsafe(32)
    entry = yaml.safe_dump([{"name": name, "role": role, "sha256": _hash(token)}], sort_keys=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(entry)
    return token


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """GitHub's ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())
