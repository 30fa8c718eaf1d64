"""The one error tree of the reconciler; every exit code maps from it.

    ReconcilerError                      exit 1
    ├── SpecError                        invalid spec files (carries diagnostics)
    ├── ConfigError                      missing or bad settings / flags
    ├── ApiError                         anything the CXone API said or failed to say
    │   ├── AuthError                    token endpoint refused the credentials or scope
    │   ├── PermissionDenied             403: the token lacks a scope
    │   ├── NotFound                     404
    │   ├── Conflict                     409 (DUPLICATE_NAME, INVALID_STATE, CAMPAIGN_ACTIVE)
    │   ├── PreconditionFailed           412 VERSION_MISMATCH
    │   ├── InvalidRequest               400 / 422
    │   ├── RateLimited                  429 whose Retry-After is too long to wait
    │   ├── BadEndpoint                  TLS certificate or host name wrong: retrying will not help
    │   └── TransientError               5xx, dropped connections, timeouts (retryable)
    │       ├── Unreachable              connection refused, timed out or dropped
    │       └── CircuitOpen              the breaker refuses to send
    ├── OperationFailed                  a campaign did not reach its target status
    ├── Interrupted                      SIGINT / SIGTERM during apply
    ├── GitHubError                      the GitHub REST API (CI comments, drift issues) failed
    └── PolicyError                      exit 3: refused by policy
        ├── StalePlan                    saved plan no longer matches the tenant
        ├── OwnershipConflict            a spec names a campaign we do not own
        └── SafetyThreshold              too many stops / deletes without --force

Retryability is a property of the type (``retryable``), never of message text.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ReconcilerError(Exception):
    """Base of every error the tool raises on purpose."""

    exit_code: ClassVar[int] = 1
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SpecError(ReconcilerError):
    """Spec files failed validation; ``diagnostics`` holds every problem."""

    def __init__(self, message: str, diagnostics: list[Any]) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class ConfigError(ReconcilerError):
    """Settings or flags are missing or contradictory."""


class ApiError(ReconcilerError):
    """The CXone API answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.details = details or []


class AuthError(ApiError):
    """The token endpoint refused the client credentials or the scope."""


class PermissionDenied(ApiError):
    """403: the token lacks the scope an endpoint needs."""


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409: DUPLICATE_NAME, INVALID_STATE or CAMPAIGN_ACTIVE."""


class PreconditionFailed(ApiError):
    """412: the campaign changed since its version was read."""


class InvalidRequest(ApiError):
    """400 or 422: the request was refused as invalid."""


class RateLimited(ApiError):
    """429 whose Retry-After is longer than the client is willing to wait."""

    def __init__(self, message: str, *, retry_after: float, hint: str | None = None) -> None:
        super().__init__(message, status=429, code="RATE_LIMITED", hint=hint)
        self.retry_after = retry_after


class TransientError(ApiError):
    """5xx, dropped connection or timeout: safe to retry when the request is."""

    retryable: ClassVar[bool] = True


class Unreachable(TransientError):
    """The connection to ``url`` was refused, timed out or dropped (``cause`` says which)."""

    def __init__(self, message: str, *, url: str, cause: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.cause = cause


class BadEndpoint(ApiError):
    """``url`` cannot be reached as configured: TLS certificate refused or host name not resolved."""

    def __init__(self, message: str, *, url: str, cause: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.cause = cause


class CircuitOpen(TransientError):
    """The circuit breaker is open: the API has been failing, nothing is sent."""


class OperationFailed(ReconcilerError):
    """A campaign ended in ERROR or did not reach its target status in time."""


class Interrupted(ReconcilerError):
    """The run was interrupted by SIGINT or SIGTERM."""


class GitHubError(ReconcilerError):
    """GitHub's REST API refused or failed a request (a plan comment, a drift issue)."""


class PolicyError(ReconcilerError):
    """Refused by policy; overridden only by a named flag."""

    exit_code: ClassVar[int] = 3


class StalePlan(PolicyError):
    """A saved plan no longer matches the live tenant."""


class OwnershipConflict(PolicyError):
    """A spec names a live campaign that the reconciler does not own."""


class SafetyThreshold(PolicyError):
    """The plan would stop or delete too many owned campaigns."""
