"""The emulated tenant's rules: what may be created, changed, started, stopped and deleted, and when.

Domain operations over the store, raising ``Refused`` with the contract's
error code (the HTTP layer maps codes to statuses): valid definitions,
references to existing and DNC-compliant lists, unique names, idempotency
keys, fields locked while a campaign is active, transition guards, version
preconditions, and the fail-start fault applied when a start is recorded.
One lock makes each operation atomic across threads and requests.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from reconciler.emulator.bodies import DefinitionIn
from reconciler.emulator.faults import FailStart
from reconciler.emulator.lifecycle import ACTIVE, RESTING
from reconciler.emulator.records import Row
from reconciler.emulator.store import Store

LOCKED_FIELDS = ("dialerType", "contactListId", "dnc", "schedule")
"""Fields that cannot change while a campaign is QUEUED, INITIALIZING or RUNNING."""


class Refused(Exception):
    """A request the tenant refuses: the contract's errorCode, a message, and optional field details."""

    def __init__(self, code: str, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """The definition as stored (without its name), or VALIDATION_ERROR naming every bad field."""
    try:
        definition = DefinitionIn.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise Refused("VALIDATION_ERROR", "the campaign definition is invalid", details) from None
    result = definition.model_dump()
    result.pop("name")
    return result


class Tenant:
    def __init__(self, store: Store, fail_start: Callable[[], tuple[FailStart, ...]] = tuple) -> None:
        self.store = store
        self.fail_start = fail_start
        """The fail-start rules in force (read at each start, so they can change while serving)."""
        self._lock = threading.RLock()

    def campaign(self, campaign_id: str) -> Row:
        row = self.store.get(campaign_id)
        if row is None:
            raise Refused("NOT_FOUND", f"campaign {campaign_id} not found")
        return row

    def _check_references(self, definition: dict[str, Any]) -> None:
        list_id = definition["contactListId"]
        contact_list = self.store.contact_list(list_id)
        if contact_list is None:
            raise Refused("CONTACT_LIST_NOT_FOUND", f"contact list {list_id} does not exist")
        if not contact_list["dncCompliant"]:
            raise Refused("CONTACT_LIST_NOT_COMPLIANT", f"contact list {list_id} is not DNC compliant")
        for dnc_id in definition["dnc"].get("listIds", []):
            if self.store.dnc_list(dnc_id) is None:
                raise Refused("DNC_LIST_NOT_FOUND", f"DNC list {dnc_id} does not exist")

    @staticmethod
    def _check_version(row: Row, matches: Callable[[int], bool], said: str) -> None:
        if not matches(row.version):
            raise Refused("VERSION_MISMATCH", f"{said} does not match the current version {row.version}")

    def create(self, key: str | None, read: Callable[[], Any]) -> tuple[Row | None, dict[str, Any]]:
        """A new campaign and its view, or (None, the first answer) for a known idempotency key.

        ``read`` gives the request body; it is not looked at when the key is known.
        """
        with self._lock:
            if key and (first := self.store.remembered(key)) is not None:
                return None, first
            body = read()
            if not isinstance(body, dict):
                raise Refused("VALIDATION_ERROR", "the body must be a JSON object")
            definition = validate(body)
            self._check_references(definition)
            name = body["name"]
            if self.store.by_name(name) is not None:
                raise Refused("DUPLICATE_NAME", f"a campaign named {name!r} already exists")
            row = self.store.create(name, definition, key)
            return row, self.store.view(row)

    def update(self, campaign_id: str, patch: Any, matches: Callable[[int], bool], said: str) -> Row:
        """Apply a merge patch; ``matches(version)`` is the caller's precondition (``said`` names it)."""
        if not isinstance(patch, dict):
            raise Refused("VALIDATION_ERROR", "a merge patch must be a JSON object")
        with self._lock:
            row = self.campaign(campaign_id)
            self._check_version(row, matches, said)
            if "name" in patch and patch["name"] != row.name:
                details = [{"field": "name", "message": "cannot change"}]
                raise Refused("VALIDATION_ERROR", "a campaign cannot be renamed", details)
            changes = {k: v for k, v in patch.items() if k != "name"}
            definition = validate({**merge_patch(row.definition, changes), "name": row.name})
            status = self.store.status(row, self.store.clock())
            if status in ACTIVE:
                changed = [f for f in LOCKED_FIELDS if definition.get(f) != row.definition.get(f)]
                if changed:
                    raise Refused(
                        "CAMPAIGN_ACTIVE",
                        f"cannot change {', '.join(changed)} while the campaign is {status}; stop it first",
                    )
            if any(f in changes for f in ("contactListId", "dnc")):
                self._check_references(definition)
            if definition != row.definition:
                row = self.store.replace_definition(row, definition)
            return row

    def delete(self, campaign_id: str, matches: Callable[[int], bool], said: str) -> None:
        with self._lock:
            row = self.campaign(campaign_id)
            self._check_version(row, matches, said)
            status = self.store.status(row, self.store.clock())
            if status not in RESTING:
                raise Refused("INVALID_STATE", f"cannot delete a {status} campaign; stop it first")
            self.store.delete(row.id)

    def start(self, campaign_id: str) -> Row:
        """Record a start; a campaign a fail-start rule names will end in ERROR."""
        with self._lock:
            row = self.campaign(campaign_id)
            status = self.store.status(row, self.store.clock())
            if status not in RESTING:
                raise Refused("INVALID_STATE", f"cannot start a {status} campaign")
            rule = next((f for f in self.fail_start() if fnmatch.fnmatchcase(row.name, f.pattern)), None)
            self.store.start(row, {"errorCode": rule.code, "errorMessage": rule.message} if rule else None)
            return row

    def stop(self, campaign_id: str) -> Row:
        with self._lock:
            row = self.campaign(campaign_id)
            status = self.store.status(row, self.store.clock())
            if status not in ACTIVE:
                raise Refused("INVALID_STATE", f"cannot stop a {status} campaign")
            self.store.stop(row)
            return row
