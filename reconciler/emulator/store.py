"""SQLite state of the emulated tenant; lifecycle computed from timestamps.

A campaign stores what was last asked of it (start or stop, and when), not
its status: the status is derived on every read from the clock, so state
survives restarts and a later process sees transitions completed while
nothing was running. Safe under concurrent requests (one lock, one
connection, short transactions).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.emulator.dialer import DialerModel, Figures

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

LOCKED_FIELDS = ("dialerType", "contactListId", "dnc", "schedule")
IDEMPOTENCY_TTL = 24 * 3600.0


@dataclass(frozen=True)
class Lifecycle:
    """How long each transition takes, in seconds."""

    queued: float = 0.5
    initializing: float = 1.0
    stopping: float = 0.5


def _count(value: float) -> int:
    """Calls placed as the API shows them: whole calls, floored (so they never go down), float noise aside."""
    return int(value + 1e-9)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


@dataclass(frozen=True)
class Row:
    """One stored campaign, with its status derived at ``now``."""

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


class Store:
    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Callable[[], float],
        lifecycle: Lifecycle | None = None,
        dialer: DialerModel | None = None,
    ) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        if (
            str(path) != ":memory:"
        ):  # a write now, so that a read-only file fails here, not at the first request
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            self._db.execute(f"PRAGMA user_version = {version}")
        present = {r["name"] for r in self._db.execute("PRAGMA table_info(campaigns)")}
        for column, declaration in ADDED_COLUMNS.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE campaigns ADD COLUMN {column} {declaration}")
        self._lock = threading.RLock()
        self.clock = clock
        self.lifecycle = lifecycle or Lifecycle()
        self.dialer = dialer or DialerModel()
        self._record_counts: dict[str, int] = {}
        """Contact list sizes, read once: lists change only when seeded."""

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # reference data

    def is_seeded(self) -> bool:
        with self._lock:
            count: int = self._db.execute("SELECT COUNT(*) FROM contact_lists").fetchone()[0]
        return count > 0

    def seed(self, contact_lists: list[dict[str, Any]], dnc_lists: list[dict[str, Any]]) -> None:
        self._record_counts.clear()
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

    @staticmethod
    def _contact_list(r: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": r["id"],
            "name": r["name"],
            "recordCount": r["record_count"],
            "dncCompliant": bool(r["dnc_compliant"]),
            "lastValidated": r["last_validated"],
        }

    @staticmethod
    def _dnc_list(r: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": r["id"],
            "name": r["name"],
            "scope": r["scope"],
            "recordCount": r["record_count"],
            "lastUpdated": r["last_updated"],
        }

    def _select(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def contact_lists(self) -> list[dict[str, Any]]:
        return [self._contact_list(r) for r in self._select("SELECT * FROM contact_lists ORDER BY id")]

    def dnc_lists(self) -> list[dict[str, Any]]:
        return [self._dnc_list(r) for r in self._select("SELECT * FROM dnc_lists ORDER BY id")]

    def contact_list(self, list_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM contact_lists WHERE id = ?", list_id)
        return self._contact_list(rows[0]) if rows else None

    def dnc_list(self, list_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT * FROM dnc_lists WHERE id = ?", list_id)
        return self._dnc_list(rows[0]) if rows else None

    # tokens

    def save_token(self, token: str, client_id: str, scopes: list[str], expires_at: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (self.clock() - 3600,))
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?)", (token, client_id, " ".join(scopes), expires_at)
            )

    def token(self, token: str) -> tuple[str, set[str]] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone()
        if row is None or row["expires_at"] <= self.clock():
            return None
        return row["client_id"], set(row["scopes"].split())

    def revoke_tokens(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tokens")

    # idempotency

    def remembered(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM idempotency WHERE key = ?", (key,)).fetchone()
        if row is None or row["created_at"] + IDEMPOTENCY_TTL < self.clock():
            return None
        body: dict[str, Any] = json.loads(row["body"])
        return body

    # campaigns

    def _row(self, r: sqlite3.Row) -> Row:
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

    def get(self, campaign_id: str) -> Row | None:
        with self._lock:
            r = self._db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return self._row(r) if r else None

    def by_name(self, name: str) -> Row | None:
        with self._lock:
            r = self._db.execute("SELECT * FROM campaigns WHERE name = ?", (name,)).fetchone()
        return self._row(r) if r else None

    def page(self, after: str | None, limit: int) -> tuple[list[Row], bool]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM campaigns WHERE id > ? ORDER BY id LIMIT ?", (after or "", limit + 1)
            ).fetchall()
        return [self._row(r) for r in rows[:limit]], len(rows) > limit

    def create(self, name: str, definition: dict[str, Any], idempotency_key: str | None) -> Row:
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
            row = self._row(db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone())
            if idempotency_key:
                db.execute(
                    "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?)",
                    (idempotency_key, now, json.dumps(self.view(row))),
                )
        return row

    def replace_definition(self, row: Row, definition: dict[str, Any]) -> Row:
        now = self.clock()
        with self.transaction() as db:
            self._checkpoint(db, row, now)
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

    def start(self, row: Row, failure: dict[str, str] | None) -> None:
        now = self.clock()
        with self.transaction() as db:
            self._checkpoint(db, row, now)  # a COMPLETED run was never banked by a stop
            db.execute(
                "UPDATE campaigns SET op = 'start', op_at = ?, failure = ?, segment_at = ? WHERE id = ?",
                (now, json.dumps(failure) if failure else None, now, row.id),
            )

    def stop(self, row: Row) -> None:
        now = self.clock()
        with self.transaction() as db:
            self._checkpoint(db, row, now)
            db.execute("UPDATE campaigns SET op = 'stop', op_at = ? WHERE id = ?", (now, row.id))

    def _checkpoint(self, db: sqlite3.Connection, row: Row, now: float) -> None:
        """Bank the calls placed, answered and abandoned so far, before the pacing or the state changes."""
        figures = self.figures(row, now)
        db.execute(
            "UPDATE campaigns SET dialled = ?, answered = ?, abandoned = ?, segment_at = ? WHERE id = ?",
            (figures.placed, figures.answered, figures.abandoned, now, row.id),
        )

    # derived state

    def _running_since(self, row: Row) -> float | None:
        if row.op != "start" or row.op_at is None or row.failure:
            return None
        return row.op_at + self.lifecycle.queued + self.lifecycle.initializing

    def _record_count(self, row: Row) -> int:
        list_id = row.definition["contactListId"]
        if list_id not in self._record_counts:
            cl = self.contact_list(list_id)
            self._record_counts[list_id] = int(cl["recordCount"]) if cl else 0
        return self._record_counts[list_id]

    def figures(self, row: Row, now: float) -> Figures:
        """Calls placed, answered and abandoned since creation, up to ``now``: they never go down."""
        since = self._running_since(row)
        if since is None or now <= since:
            return row.banked
        begin = max(since, row.segment_at or since)
        pacing = row.definition["pacing"]
        current = self.dialer.segment(
            row.name,
            pacing["callsPerMinute"],
            pacing["maxConcurrent"],
            begin=(begin - since) * self.dialer.speed,
            seconds=max(0.0, now - begin) * self.dialer.speed,
            remaining=max(0.0, self._record_count(row) - row.dialled),
        )
        return row.banked + current

    def placed(self, row: Row, now: float) -> float:
        """Calls placed up to ``now`` (capped by the contact list's size)."""
        return self.figures(row, now).placed

    def status(self, row: Row, now: float) -> str:
        if row.op == "none" or row.op_at is None:
            return "STOPPED"
        elapsed = now - row.op_at
        life = self.lifecycle
        if row.op == "stop":
            return "STOPPING" if elapsed < life.stopping else "STOPPED"
        if elapsed < life.queued:
            return "QUEUED"
        if elapsed < life.queued + life.initializing:
            return "INITIALIZING"
        if row.failure:
            return "ERROR"
        if self.placed(row, now) + 1e-9 >= self._record_count(row):
            return "COMPLETED"
        return "RUNNING"

    def view(self, row: Row) -> dict[str, Any]:
        """The campaign as the API shows it."""
        status = self.status(row, self.clock())
        d = row.definition
        return {
            "id": row.id,
            "name": row.name,
            "description": d.get("description", ""),
            "dialerType": d["dialerType"],
            "pacing": d["pacing"],
            "contactListId": d["contactListId"],
            "dnc": d["dnc"],
            "schedule": d.get("schedule"),
            "labels": d.get("labels", {}),
            "status": status,
            "lastError": row.failure if status == "ERROR" else None,
            "version": row.version,
            "createdAt": iso(row.created_at),
            "updatedAt": iso(row.updated_at),
        }

    def realtime(self, row: Row) -> dict[str, Any]:
        now = self.clock()
        if self.status(row, now) != "RUNNING":
            return {"answerRate": 0.0, "abandonRate": 0.0, "activeCalls": 0, "totalCalls": 0}
        pacing = row.definition["pacing"]
        since = self._running_since(row) or now
        answer = self.dialer.answer_rate(row.name, (now - since) * self.dialer.speed)
        placed = _count(self.placed(row, now))
        return {
            "answerRate": answer,
            "abandonRate": self.dialer.abandon_rate(
                row.name, pacing["callsPerMinute"], pacing["maxConcurrent"], answer
            ),
            "activeCalls": min(
                placed, self.dialer.active_calls(pacing["callsPerMinute"], pacing["maxConcurrent"], answer)
            ),
            "totalCalls": placed,
        }

    def statistics(self, row: Row) -> dict[str, Any]:
        figures = self.figures(row, self.clock())
        total = _count(figures.placed)
        answered = min(total, round(figures.answered))  # round and min keep counters from going down
        return {
            "totalCalls": total,
            "answered": answered,
            "abandoned": min(answered, round(figures.abandoned)),
            "avgTalkTime": self.dialer.talk_time(row.name) if answered else 0.0,
            "connectRate": round(answered / total, 4) if total else 0.0,
        }
