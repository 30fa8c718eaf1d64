"""SQLite persistence of the emulated tenant: campaigns, reference lists, tokens, idempotency keys.

Persistence only: it stores what it is given (a campaign's last start or
stop and when, the figures banked so far) and derives nothing. Safe under
concurrent requests (one lock, one connection, short transactions).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.emulator.database import Database
from reconciler.emulator.dialer import Figures

SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    op TEXT NOT NULL DEFAULT 'none',
    op_at REAL,
    failure TEXT,
    dialled REAL NOT NULL DEFAULT 0,
    answered REAL NOT NULL DEFAULT 0,
    abandoned REAL NOT NULL DEFAULT 0,
    segment_at REAL
);
CREATE TABLE IF NOT EXISTS contact_lists (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, record_count INTEGER NOT NULL,
    dnc_compliant INTEGER NOT NULL, last_validated TEXT
);
CREATE TABLE IF NOT EXISTS dnc_lists (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL,
    record_count INTEGER NOT NULL, last_updated TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, scopes TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, created_at REAL NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

ADDED_COLUMNS = {"answered": "REAL NOT NULL DEFAULT 0", "abandoned": "REAL NOT NULL DEFAULT 0"}
"""Columns that state files written by earlier versions lack."""

IDEMPOTENCY_TTL = 24 * 3600.0


@dataclass(frozen=True)
class Row:
    """One stored campaign: its definition and what was last asked of it (its status is derived)."""

    id: str
    name: str
    definition: dict[str, Any]
    version: int
    created_at: float
    updated_at: float
    op: str
    op_at: float | None
    failure: dict[str, str] | None
    dialled: float
    answered: float
    abandoned: float
    segment_at: float | None
    """Start of the current run at one pacing; dialled, answered and abandoned bank the runs before it."""

    @property
    def banked(self) -> Figures:
        return Figures(self.dialled, self.answered, self.abandoned)


def _contact_list(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "recordCount": r["record_count"],
        "dncCompliant": bool(r["dnc_compliant"]),
        "lastValidated": r["last_validated"],
    }


def _dnc_list(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "scope": r["scope"],
        "recordCount": r["record_count"],
        "lastUpdated": r["last_updated"],
    }


def _row(r: sqlite3.Row) -> Row:
    return Row(
        id=r["id"],
        name=r["name"],
        definition=json.loads(r["definition"]),
        version=r["version"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        op=r["op"],
        op_at=r["op_at"],
        failure=json.loads(r["failure"]) if r["failure"] else None,
        dialled=r["dialled"],
        answered=r["answered"],
        abandoned=r["abandoned"],
        segment_at=r["segment_at"],
    )


class Records(Database):
    """The tenant's tables in one SQLite file (or in memory)."""

    def __init__(self, path: str | Path = ":memory:", *, clock: Callable[[], float]) -> None:
        in_file = str(path) != ":memory:"
        if in_file:  # the embedded sandbox keeps its file in a folder of its own
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path, timeout=10)
        self._db.row_factory = sqlite3.Row
        if in_file:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        if in_file:  # a write now, so that a read-only file fails here and not at the first request
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            self._db.execute(f"PRAGMA user_version = {version}")
        present = {r["name"] for r in self._db.execute("PRAGMA table_info(campaigns)")}
        for column, declaration in ADDED_COLUMNS.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE campaigns ADD COLUMN {column} {declaration}")
        self.clock = clock

    def _select(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # reference data

    def is_seeded(self) -> bool:
        return bool(self._select("SELECT COUNT(*) FROM contact_lists")[0][0])

    def seed(self, contact_lists: list[dict[str, Any]], dnc_lists: list[dict[str, Any]]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM contact_lists")
            db.execute("DELETE FROM dnc_lists")
            for cl in contact_lists:
                db.execute(
                    "INSERT INTO contact_lists VALUES (?, ?, ?, ?, ?)",
                    (
                        cl["id"],
                        cl["name"],
                        int(cl["recordCount"]),
                        int(bool(cl["dncCompliant"])),
                        cl.get("lastValidated"),
                    ),
                )
            for dl in dnc_lists:
                db.execute(
                    "INSERT INTO dnc_lists VALUES (?, ?, ?, ?, ?)",
                    (dl["id"], dl["name"], dl["scope"], int(dl["recordCount"]), dl.get("lastUpdated")),
                )

    def contact_lists(self) -> list[dict[str, Any]]:
        return [_contact_list(r) for r in self._select("SELECT * FROM contact_lists ORDER BY id")]

    def dnc_lists(self) -> list[dict[str, Any]]:
        return [_dnc_list(r) for r in self._select("SELECT * FROM dnc_lists ORDER BY id")]

    def contact_list(self, list_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM contact_lists WHERE id = ?", list_id)
        return _contact_list(rows[0]) if rows else None

    def dnc_list(self, list_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM dnc_lists WHERE id = ?", list_id)
        return _dnc_list(rows[0]) if rows else None

    # tokens

    def save_token(self, token: str, client_id: str, scopes: list[str], expires_at: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (self.clock() - 3600,))
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?)", (token, client_id, " ".join(scopes), expires_at)
            )

    def token(self, token: str) -> tuple[str, set[str]] | None:
        rows = self._select("SELECT * FROM tokens WHERE token = ?", token)
        if not rows or rows[0]["expires_at"] <= self.clock():
            return None
        return rows[0]["client_id"], set(rows[0]["scopes"].split())

    def revoke_tokens(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tokens")

    # idempotency

    def remembered(self, key: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM idempotency WHERE key = ?", key)
        if not rows or rows[0]["created_at"] + IDEMPOTENCY_TTL < self.clock():
            return None
        body: dict[str, Any] = json.loads(rows[0]["body"])
        return body

    # campaigns

    def get(self, campaign_id: str) -> Row | None:
        rows = self._select("SELECT * FROM campaigns WHERE id = ?", campaign_id)
        return _row(rows[0]) if rows else None

    def by_name(self, name: str) -> Row | None:
        rows = self._select("SELECT * FROM campaigns WHERE name = ?", name)
        return _row(rows[0]) if rows else None

    def page(self, after: str | None, limit: int) -> tuple[list[Row], bool]:
        rows = self._select(
            "SELECT * FROM campaigns WHERE id > ? ORDER BY id LIMIT ?", after or "", limit + 1
        )
        return [_row(r) for r in rows[:limit]], len(rows) > limit

    def insert(
        self,
        name: str,
        definition: dict[str, Any],
        idempotency_key: str | None,
        remember: Callable[[Row], dict[str, Any]],
    ) -> Row:
        """A new campaign; with a key, ``remember(row)`` is kept as the answer to replay (one transaction)."""
        now = self.clock()
        with self.transaction() as db:
            seq = db.execute(
                "INSERT INTO counters VALUES ('campaign', 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value"
            ).fetchone()[0]
            campaign_id = f"CMP-{seq:06d}"
            db.execute(
                "INSERT INTO campaigns (id, name, definition, version, created_at, updated_at) "
                "VALUES (?, ?, ?, 1, ?, ?)",
                (campaign_id, name, json.dumps(definition), now, now),
            )
            row = _row(db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone())
            if idempotency_key:
                db.execute(
                    "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?)",
                    (idempotency_key, now, json.dumps(remember(row))),
                )
        return row

    def _bank(self, db: sqlite3.Connection, campaign_id: str, banked: Figures, now: float) -> None:
        db.execute(
            "UPDATE campaigns SET dialled = ?, answered = ?, abandoned = ?, segment_at = ? WHERE id = ?",
            (banked.placed, banked.answered, banked.abandoned, now, campaign_id),
        )

    def record_definition(self, row: Row, definition: dict[str, Any], banked: Figures) -> Row:
        """A new definition (version + 1), the figures so far banked under the old one."""
        now = self.clock()
        with self.transaction() as db:
            self._bank(db, row.id, banked, now)
            db.execute(
                "UPDATE campaigns SET definition = ?, version = version + 1, updated_at = ? WHERE id = ?",
                (json.dumps(definition), now, row.id),
            )
        updated = self.get(row.id)
        assert updated is not None
        return updated

    def delete(self, campaign_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM campaigns WHERE id = ?", (campaign_id,))

    def record_start(self, row: Row, failure: dict[str, str] | None, banked: Figures) -> None:
        now = self.clock()
        with self.transaction() as db:
            self._bank(db, row.id, banked, now)
            db.execute(
                "UPDATE campaigns SET op = 'start', op_at = ?, failure = ? WHERE id = ?",
                (now, json.dumps(failure) if failure else None, row.id),
            )

    def record_stop(self, row: Row, banked: Figures) -> None:
        now = self.clock()
        with self.transaction() as db:
            self._bank(db, row.id, banked, now)
            db.execute("UPDATE campaigns SET op = 'stop', op_at = ? WHERE id = ?", (now, row.id))
