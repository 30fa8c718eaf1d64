"""`reconciler emulator` start-up errors: one clear line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def emulator_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m reconciler emulator ARGS`; one that starts serving is a failure (killed after 20 s)."""
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "CXone emulator on" not in result.stdout  # it never announced a server
    return lines[0]


@pytest.mark.parametrize("port", ["0", "65536", "70000", "-1"])
def test_a_port_out_of_range_is_one_line(port: str) -> None:
    line = one_line_error(emulator_command("--port", port))
    assert f"--port {port} is not a TCP port: choose one from 1 to 65535" in line


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(emulator_command("--host", "127.0.0.1", "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line


def _missing_folder(tmp: Path) -> tuple[Path, str]:
    return tmp / "nope" / "deeper" / "state.db", "folder {parent} does not exist"


def _a_folder(tmp: Path) -> tuple[Path, str]:
    return tmp, "is a folder: give a file"


def _under_a_file(tmp: Path) -> tuple[Path, str]:
    (tmp / "plain.txt").write_text("x")
    return tmp / "plain.txt" / "state.db", "{parent} is not a folder"


def _not_sqlite(tmp: Path) -> tuple[Path, str]:
    (tmp / "notes.db").write_text("these are notes, not a database; " * 10)
    return tmp / "notes.db", "cannot hold the emulator's state (file is not a database)"


def _corrupt_sqlite(tmp: Path) -> tuple[Path, str]:
    import sqlite3

    path = tmp / "corrupt.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a TEXT)")
        db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 50)
    db.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, past the header
    path.write_bytes(bytes(data))
    return path, "cannot hold the emulator's state"


@pytest.mark.parametrize("make", [_missing_folder, _a_folder, _under_a_file, _not_sqlite, _corrupt_sqlite])
def test_an_unusable_db_is_one_line_and_nothing_is_created(
    tmp_path: Path, make: Callable[[Path], tuple[Path, str]]
) -> None:
    path, expected = make(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    line = one_line_error(emulator_command("--port", "1", "--db", str(path)))
    assert f"--db {path}" in line
    assert expected.format(parent=path.parent) in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no folder made, no file left behind
