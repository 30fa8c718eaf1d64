"""The state file: schema migration, retention, the lease, damaged files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.service.state import (
    EVENT_RETENTION,
    SAMPLE_RETENTION,
    SCHEMA_VERSION,
    LeaseHeld,
    State,
    StateError,
)

NOW = 1_800_000_000.0


def test_a_new_file_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    state = State(tmp_path / "serve.db")
    assert state.version == SCHEMA_VERSION
    mode = sqlite3.connect(tmp_path / "serve.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    state.close()


def test_an_older_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "serve.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE suspensions (name TEXT PRIMARY KEY, reason TEXT, actor TEXT, at REAL);"
        "CREATE TABLE lease (target TEXT PRIMARY KEY, holder TEXT, pid INTEGER, expires_at REAL);"
        "CREATE TABLE operations (id TEXT PRIMARY KEY, kind TEXT, campaign TEXT, state TEXT, started_at REAL,"
        " finished_at REAL, actions TEXT, actor TEXT, error TEXT);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL, kind TEXT, campaign TEXT,"
        " message TEXT, actor TEXT);"
        "CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT, at REAL,"
        " answer_rate REAL, abandon_rate REAL, active_calls INTEGER, calls_per_minute INTEGER,"
        " max_concurrent INTEGER);"
        "CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT, at REAL, body TEXT);"
        "CREATE TABLE cycles (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL, finished_at REAL,"
        " outcome TEXT, error TEXT);"
        "CREATE TABLE campaign_errors (name TEXT PRIMARY KEY, message TEXT, at REAL);"
        "INSERT INTO suspensions VALUES ('Q3', 'kept', 'otto', 1.0);"
        "PRAGMA user_version = 1;"
    )
    db.close()
    state = State(path)
    assert state.version == SCHEMA_VERSION
    assert state.suspensions()["Q3"].reason == "kept"
    indexes = {
        r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='index'")
    }
    assert "events_by_time" in indexes
    state.close()


def test_a_newer_schema_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "serve.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match=str(path)):
        State(path)


def test_a_damaged_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "serve.db"
    path.write_bytes(b"this is not a database, just bytes " * 200)
    with pytest.raises(StateError) as refused:
        State(path)
    assert str(path) in refused.value.message and refused.value.exit_code == 1


def test_retention_keeps_a_week_of_samples_and_ninety_days_of_events(tmp_path: Path) -> None:
    state = State(tmp_path / "serve.db")
    pacing = {"callsPerMinute": 10, "maxConcurrent": 20}
    for age in (SAMPLE_RETENTION + 60, 60):
        state.add_sample(
            "Q3", at=NOW - age, answer_rate=0.3, abandon_rate=0.01, active_calls=3, pacing=pacing
        )
        state.add_decision("Q3", {"reason": f"{age}"}, at=NOW - age)
    for age in (EVENT_RETENTION + 60, SAMPLE_RETENTION + 60):
        state.record("cycle", f"{age}", actor="reconciler", at=NOW - age)
    assert state.prune(now=NOW) == 3
    assert len(state.samples("Q3", since=0)) == 1 and len(state.decisions("Q3", since=0)) == 1
    assert [e.message for e in state.events(since=None, limit=10)] == [f"{SAMPLE_RETENTION + 60}"]
    state.close()


def test_the_lease_keeps_a_second_holder_out_until_it_expires_or_is_released(tmp_path: Path) -> None:
    first, second = State(tmp_path / "serve.db"), State(tmp_path / "serve.db")
    first.acquire("tenant-a", "one", 101, now=NOW)
    with pytest.raises(LeaseHeld) as held:
        second.acquire("tenant-a", "two", 202, now=NOW + 5)
    assert held.value.exit_code == 3 and "pid 101" in held.value.message
    second.acquire("tenant-b", "two", 202, now=NOW + 5)  # another target is another lease
    first.acquire("tenant-a", "one", 101, now=NOW + 20)  # renewed
    with pytest.raises(LeaseHeld):
        second.acquire("tenant-a", "two", 202, now=NOW + 45)
    second.acquire("tenant-a", "two", 202, now=NOW + 20 + 31)  # the first stopped renewing
    second.release("tenant-a", "two")
    first.acquire("tenant-a", "one", 101, now=NOW + 52)
    first.close()
    second.close()
