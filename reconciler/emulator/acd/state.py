"""SQLite state of the emulated business unit: JSON documents by kind and id, on their own tables.

Skills, parameter blocks, tags, DNC groups, calling lists, upload jobs and
reporting campaigns are documents; relations (a skill's tags, a group's
scrubbed skills, a skill's calling lists) live inside them. One lock, one
connection, short transactions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.emulator.database import Database

__all__ = ["State"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS acd_docs (
    kind TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS acd_tokens (token TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS acd_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
FIRST_ID = {"skill": 11000, "tag": 500, "campaign": 300, "dnc_group": 70, "call_list": 900, "job": 1}


class State(Database):
    def __init__(self, path: str, *, clock: Callable[[], float]) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path)
        self.clock = clock
        self._db.executescript(SCHEMA)

    def next_id(self, kind: str) -> int:
        with self.transaction() as db:
            found = db.execute("SELECT value FROM acd_counters WHERE name = ?", (kind,)).fetchone()
            value = (found[0] if found else FIRST_ID.get(kind, 1) - 1) + 1
            db.execute("INSERT OR REPLACE INTO acd_counters VALUES (?, ?)", (kind, value))
        return int(value)

    def get(self, kind: str, doc_id: int | str) -> dict[str, Any] | None:
        try:
            key = int(doc_id)
        except (TypeError, ValueError):
            return None
        with self._lock:
            found = self._db.execute(
                "SELECT body FROM acd_docs WHERE kind = ? AND id = ?", (kind, key)
            ).fetchone()
        if found is None:
            return None
        body: dict[str, Any] = json.loads(found[0])
        return body

    def put(self, kind: str, doc_id: int, body: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO acd_docs VALUES (?, ?, ?)", (kind, int(doc_id), json.dumps(body))
            )

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            found = self._db.execute(
                "SELECT body FROM acd_docs WHERE kind = ? ORDER BY id", (kind,)
            ).fetchall()
        return [json.loads(r[0]) for r in found]

    def seeded(self) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM acd_docs WHERE kind = 'business_unit'").fetchone() is not None
            )

    def save_token(self, token: str, expires_at: float) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO acd_tokens VALUES (?, ?)", (token, expires_at))

    def token_valid(self, token: str) -> bool:
        with self._lock:
            found = self._db.execute("SELECT expires_at FROM acd_tokens WHERE token = ?", (token,)).fetchone()
        return found is not None and float(found[0]) > self.clock()

    def revoke(self, token: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM acd_tokens WHERE token = ?", (token,))
