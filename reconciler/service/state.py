"""The service's state: one SQLite file (WAL), a versioned schema migrated on open, retention, the lease.

Everything the service must remember across restarts lives here and only
here: suspensions, operations, events (the audit log), pacing samples and
decisions, reconcile cycles, per-campaign errors, and the lease that keeps a
second process off the same state file and target. Times are epoch seconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError, PolicyError

__all__ = [
    "EVENT_RETENTION",
    "SAMPLE_RETENTION",
    "SCHEMA_VERSION",
    "Cycle",
    "Event",
    "LeaseHeld",
    "OperationRow",
    "State",
    "StateError",
    "Suspension",
]

SAMPLE_RETENTION = 7 * 86400.0
"""Pacing samples and decisions are kept this long."""
EVENT_RETENTION = 90 * 86400.0
"""Events (the audit log), operations and cycles are kept this long."""
LEASE_SECONDS = 30.0
"""A lease not renewed for this long is free for another process."""

_MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the first schema
    """
    CREATE TABLE lease (target TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL,
                        expires_at REAL NOT NULL);
    CREATE TABLE suspensions (name TEXT PRIMARY KEY, reason TEXT NOT NULL, actor TEXT NOT NULL,
                              at REAL NOT NULL);
    CREATE TABLE operations (id TEXT PRIMARY KEY, kind TEXT NOT NULL, campaign TEXT, state TEXT NOT NULL,
                             started_at REAL NOT NULL, finished_at REAL, actions TEXT NOT NULL,
                             actor TEXT NOT NULL, error TEXT);
    CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                         campaign TEXT, message TEXT NOT NULL, actor TEXT NOT NULL);
    CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT NOT NULL, at REAL NOT NULL,
                          answer_rate REAL, abandon_rate REAL, active_calls INTEGER,
                          calls_per_minute INTEGER NOT NULL, max_concurrent INTEGER NOT NULL);
    CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT NOT NULL, at REAL NOT NULL,
                            body TEXT NOT NULL);
    CREATE TABLE cycles (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
                         outcome TEXT, error TEXT);
    CREATE TABLE campaign_errors (name TEXT PRIMARY KEY, message TEXT NOT NULL, at REAL NOT NULL);
    """,
    # 1 -> 2: history and retention read by campaign and time
    """
    CREATE INDEX samples_by_campaign ON samples (campaign, at);
    CREATE INDEX decisions_by_campaign ON decisions (campaign, at);
    CREATE INDEX events_by_time ON events (at);
    CREATE INDEX operations_by_campaign ON operations (campaign, state);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


class StateError(ConfigError):
    """The state file cannot be opened, read or understood (exit 1)."""


class LeaseHeld(PolicyError):
    """Another process holds the lease on this state file and target (exit 3)."""


@dataclass(frozen=True)
class Suspension:
    name: str
    reason: str
    actor: str
    at: float


@dataclass(frozen=True)
class OperationRow:
    id: str
    kind: str
    campaign: str | None
    state: str
    started_at: float
    finished_at: float | None
    actions: tuple[str, ...]
    actor: str
    error: str | None


@dataclass(frozen=True)
class Event:
    id: int
    at: float
    kind: str
    campaign: str | None
    message: str
    actor: str


@dataclass(frozen=True)
class Cycle:
    started_at: float
    finished_at: float | None
    outcome: str | None
    error: str | None


class State:
    """The state file, opened and migrated; every read and write of the service goes through here."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.revision = 0
        """Counts changes to suspensions and campaign errors (what the campaign views show)."""
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StateError(
                f"cannot use the service state {self.path}: {exc}",
                hint="check the file and its folder; move a damaged file aside to start with empty state",
            ) from None

    @property
    def version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise StateError(
                f"the service state {self.path} has schema version {current}, newer than this "
                f"cxone-reconciler knows ({SCHEMA_VERSION})",
                hint="run the newer cxone-reconciler that wrote it",
            )
        for version in range(current, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, _MIGRATIONS[version].split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StateError(f"the service state {self.path} failed: {exc}") from None

    # the lease

    def acquire(self, target: str, holder: str, pid: int, *, now: float) -> None:
        """Take (or renew) the lease on ``target``; ``LeaseHeld`` while another holder's is live."""
        self._run("BEGIN IMMEDIATE")
        try:
            row = self._run(
                "SELECT holder, pid, expires_at FROM lease WHERE target = ?", (target,)
            ).fetchone()
            if row is not None and row[0] != holder and row[2] > now:
                raise LeaseHeld(
                    f"another reconciler serve (pid {row[1]}) holds the lease on {self.path} for {target}",
                    hint="run one serve per state file and target; stop the other one first",
                )
            self._run(
                "INSERT OR REPLACE INTO lease (target, holder, pid, expires_at) VALUES (?, ?, ?, ?)",
                (target, holder, pid, now + LEASE_SECONDS),
            )
            self._run("COMMIT")
        except BaseException:
            self._run("ROLLBACK")
            raise

    def release(self, target: str, holder: str) -> None:
        self._run("DELETE FROM lease WHERE target = ? AND holder = ?", (target, holder))

    # suspensions

    def suspend(self, name: str, reason: str, actor: str, *, at: float) -> Suspension:
        self.revision += 1
        self._run(
            "INSERT OR REPLACE INTO suspensions (name, reason, actor, at) VALUES (?, ?, ?, ?)",
            (name, reason, actor, at),
        )
        return Suspension(name, reason, actor, at)

    def resume(self, name: str) -> None:
        self.revision += 1
        self._run("DELETE FROM suspensions WHERE name = ?", (name,))

    def suspensions(self) -> dict[str, Suspension]:
        rows = self._run("SELECT name, reason, actor, at FROM suspensions").fetchall()
        return {r[0]: Suspension(*r) for r in rows}

    # operations

    def save_operation(self, op: OperationRow) -> None:
        self._run(
            "INSERT OR REPLACE INTO operations (id, kind, campaign, state, started_at, finished_at, actions,"
            " actor, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op.id,
                op.kind,
                op.campaign,
                op.state,
                op.started_at,
                op.finished_at,
                json.dumps(list(op.actions)),
                op.actor,
                op.error,
            ),
        )

    def operation(self, op_id: str) -> OperationRow | None:
        row = self._run(
            "SELECT id, kind, campaign, state, started_at, finished_at, actions, actor, error"
            " FROM operations WHERE id = ?",
            (op_id,),
        ).fetchone()
        return None if row is None else _operation(row)

    def running_operations(self) -> list[OperationRow]:
        rows = self._run(
            "SELECT id, kind, campaign, state, started_at, finished_at, actions, actor, error"
            " FROM operations WHERE state = 'running'"
        ).fetchall()
        return [_operation(r) for r in rows]

    # events

    def record(self, kind: str, message: str, *, actor: str, at: float, campaign: str | None = None) -> Event:
        cursor = self._run(
            "INSERT INTO events (at, kind, campaign, message, actor) VALUES (?, ?, ?, ?, ?)",
            (at, kind, campaign, message, actor),
        )
        return Event(int(cursor.lastrowid or 0), at, kind, campaign, message, actor)

    def events(self, *, since: int | None, limit: int, campaign: str | None = None) -> list[Event]:
        params: list[Any] = [campaign] if campaign is not None else []
        where = "WHERE campaign = ?" if campaign is not None else ""
        if since is not None:
            where = f"{where} {'AND' if where else 'WHERE'} id > ?"
            params.append(since)
            sql = f"SELECT id, at, kind, campaign, message, actor FROM events {where} ORDER BY id LIMIT ?"
            return [Event(*r) for r in self._run(sql, [*params, limit]).fetchall()]
        sql = f"SELECT id, at, kind, campaign, message, actor FROM events {where} ORDER BY id DESC LIMIT ?"
        return [Event(*r) for r in reversed(self._run(sql, [*params, limit]).fetchall())]

    # pacing history

    def add_sample(
        self,
        campaign: str,
        *,
        at: float,
        answer_rate: float | None,
        abandon_rate: float | None,
        active_calls: int | None,
        pacing: dict[str, int],
    ) -> None:
        self._run(
            "INSERT INTO samples (campaign, at, answer_rate, abandon_rate, active_calls, calls_per_minute,"
            " max_concurrent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                campaign,
                at,
                answer_rate,
                abandon_rate,
                active_calls,
                pacing["callsPerMinute"],
                pacing["maxConcurrent"],
            ),
        )

    def add_decision(self, campaign: str, body: dict[str, Any], *, at: float) -> None:
        self._run(
            "INSERT INTO decisions (campaign, at, body) VALUES (?, ?, ?)", (campaign, at, json.dumps(body))
        )

    def samples(self, campaign: str, *, since: float) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT at, answer_rate, abandon_rate, active_calls, calls_per_minute FROM samples"
            " WHERE campaign = ? AND at >= ? ORDER BY at, id",
            (campaign, since),
        ).fetchall()
        keys = ("at", "answerRate", "abandonRate", "activeCalls", "callsPerMinute")
        return [{k: v for k, v in zip(keys, r, strict=True) if v is not None} for r in rows]

    def decisions(self, campaign: str, *, since: float) -> list[tuple[float, dict[str, Any]]]:
        rows = self._run(
            "SELECT at, body FROM decisions WHERE campaign = ? AND at >= ? ORDER BY at, id", (campaign, since)
        ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    # cycles and per-campaign errors

    def start_cycle(self, *, at: float) -> int:
        return int(self._run("INSERT INTO cycles (started_at) VALUES (?)", (at,)).lastrowid or 0)

    def finish_cycle(self, cycle_id: int, outcome: str, error: str | None, *, at: float) -> None:
        self._run(
            "UPDATE cycles SET finished_at = ?, outcome = ?, error = ? WHERE id = ?",
            (at, outcome, error, cycle_id),
        )

    def last_cycle(self) -> Cycle | None:
        row = self._run(
            "SELECT started_at, finished_at, outcome, error FROM cycles ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else Cycle(*row)

    def set_error(self, name: str, message: str, *, at: float) -> None:
        self.revision += 1
        self._run(
            "INSERT OR REPLACE INTO campaign_errors (name, message, at) VALUES (?, ?, ?)", (name, message, at)
        )

    def clear_error(self, name: str) -> None:
        self.revision += 1
        self._run("DELETE FROM campaign_errors WHERE name = ?", (name,))

    def errors(self) -> dict[str, tuple[str, float]]:
        rows = self._run("SELECT name, message, at FROM campaign_errors").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    # retention

    def prune(self, *, now: float) -> int:
        """Drop history past its retention; returns how many rows went."""
        removed = 0
        for table, column, keep in (
            ("samples", "at", SAMPLE_RETENTION),
            ("decisions", "at", SAMPLE_RETENTION),
            ("events", "at", EVENT_RETENTION),
            ("cycles", "started_at", EVENT_RETENTION),
        ):
            removed += self._run(f"DELETE FROM {table} WHERE {column} < ?", (now - keep,)).rowcount
        removed += self._run(
            "DELETE FROM operations WHERE state != 'running' AND started_at < ?", (now - EVENT_RETENTION,)
        ).rowcount
        return removed


def _operation(row: Sequence[Any]) -> OperationRow:
    return OperationRow(
        id=row[0],
        kind=row[1],
        campaign=row[2],
        state=row[3],
        started_at=row[4],
        finished_at=row[5],
        actions=tuple(json.loads(row[6])),
        actor=row[7],
        error=row[8],
    )
