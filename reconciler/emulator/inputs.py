"""What a request says, read strictly: list limit and cursor, If-Match, body media type, JSON body."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from reconciler.emulator.problem import Problem

JSON = ("application/json",)
MERGE_PATCH = ("application/merge-patch+json", "application/json")
_ETAG_LIST = re.compile(r'\s*(?:W/)?"[^"]*"(?:\s*,\s*(?:W/)?"[^"]*")*\s*')
_ETAG = re.compile(r'(W/)?"([^"]*)"')


def encode_cursor(campaign_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{campaign_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("after:"):
        raise Problem(
            400,
            "VALIDATION_ERROR",
            "unknown cursor",
            details=[{"field": "cursor", "message": "unknown cursor"}],
        )
    return raw.removeprefix("after:")


def limit(request: Request) -> int:
    raw = request.query_params.get("limit", "50")
    plain = raw.isascii() and raw.isdigit()  # int() would take " 1", "1_0" and non-ASCII digits
    limit = int(raw) if plain else 0
    if not 1 <= limit <= 100:
        raise Problem(
            400,
            "VALIDATION_ERROR",
            "limit must be an integer from 1 to 100",
            details=[{"field": "limit", "message": "must be 1..100"}],
        )
    return limit


def if_match(request: Request) -> tuple[Callable[[int], bool], str]:
    """RFC 9110 If-Match as a test of a version: ``*`` or a list of entity tags, compared strongly."""
    wanted = request.headers.get("if-match")
    if wanted is None or wanted.strip() == "*":  # * matches any current campaign
        return (lambda version: True), "If-Match *"
    if not _ETAG_LIST.fullmatch(wanted):
        raise Problem(
            400,
            "VALIDATION_ERROR",
            f'If-Match {wanted!r} is not "*" or a list of quoted entity tags, e.g. If-Match: "3"',
            details=[{"field": "If-Match", "message": "not an entity-tag list"}],
        )
    strong = {tag for weak, tag in _ETAG.findall(wanted) if not weak}  # a weak tag never matches
    return (lambda version: str(version) in strong), f"If-Match {wanted}"


def media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """415 unless the body is declared as one of the contract's media types for this operation."""
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared not in accepted:
        raise Problem(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"{request.method} {request.url.path} takes Content-Type {' or '.join(accepted)}, "
            f"not {declared or 'none'}",
        )


def parsed(raw: bytes) -> Callable[[], Any]:
    """The JSON in ``raw``, parsed when called (a replayed create never looks at its body)."""

    def parse() -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise Problem(400, "VALIDATION_ERROR", "the body is not valid JSON") from None

    return parse
