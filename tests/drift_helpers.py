"""Helpers for the drift and export tests: campaigns put straight into the emulator, and edited
behind git's back, as somebody in the CXone admin UI would."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.conftest import InProcessCli
from tests.specs import api_definition

OWNED = {"managed-by": "cxone-reconciler"}


def put(cli: InProcessCli, name: str, *, owned: bool = True, running: bool = False, **fields: Any) -> str:
    """A campaign created directly in the emulator (not by apply); its id."""
    definition = api_definition(name, **fields)
    definition.pop("name")
    definition["labels"] = {**definition["labels"], **(OWNED if owned else {})}
    store = cli.emulator.store
    row = store.create(name, definition, None)
    if running:
        store.start(row, None)
        cli.clock.advance(5)  # past QUEUED and INITIALIZING
    return row.id


def edit(cli: InProcessCli, name: str, **changes: Any) -> None:
    """Change a live campaign's definition in place (nested mappings are merged)."""
    store = cli.emulator.store
    row = store.by_name(name)
    assert row is not None
    definition = dict(row.definition)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(definition.get(key), dict):
            definition[key] = {**definition[key], **value}
        else:
            definition[key] = value
    store.replace_definition(row, definition)


def stop(cli: InProcessCli, name: str) -> None:
    store = cli.emulator.store
    row = store.by_name(name)
    assert row is not None
    store.stop(row)
    cli.clock.advance(5)


def requests(cli: InProcessCli) -> Counter[str]:
    """Requests the emulator answered, by method and path, since the last call."""
    seen = Counter(cli.emulator.requests)
    cli.emulator.requests.clear()
    return seen


def reads_only(seen: Counter[str]) -> bool:
    """Only the token and the campaign list were asked for."""
    return set(seen) <= {"POST /oauth/token", "GET /api/campaigns"}
