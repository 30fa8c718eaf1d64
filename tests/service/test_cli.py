"""`reconciler serve` and `serve token` as a user runs them: refusals, minting, one process on loopback."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.server import free_port
from reconciler.service.auth import Tokens
from tests.conftest import spawned
from tests.specs import spec_text, write_spec


def run(*args: str, cwd: Path) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), env={"CXONE_API_BASE": None})
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_token_is_printed_once_and_only_its_hash_is_kept(tmp_path: Path) -> None:
    code, out = run("serve", "token", "alice", "--role", "operator", "--tokens", "t.yaml", cwd=tmp_path)
    assert code == 0
    token = out.splitlines()[0]
    text = (tmp_path / "t.yaml").read_text()
    assert token not in text and stat.S_IMODE((tmp_path / "t.yaml").stat().st_mode) == 0o600
    principal = Tokens.load(tmp_path / "t.yaml").identify(token)
    assert principal is not None and principal.role == "operator"
    again, said = run("serve", "token", "alice", "--role", "viewer", "--tokens", "t.yaml", cwd=tmp_path)
    assert again == 1 and "already has a token named 'alice'" in said


def test_token_needs_a_role_and_a_file(tmp_path: Path) -> None:
    code, out = run("serve", "token", "alice", "--tokens", "t.yaml", cwd=tmp_path)
    assert code == 64 and "--role" in out  # EX_USAGE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "refusing to serve without --tokens FILE"),
        (("--no-auth", "--host", "0.0.0.0"), "--no-auth serves only on loopback"),
        (("--no-auth", "--tokens", "t.yaml"), "--no-auth and --tokens contradict"),
        (("--tokens", "missing.yaml"), "cannot read the tokens file missing.yaml"),
    ],
)
def test_serve_refuses_to_start_unsafely(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, out = run("serve", *args, cwd=tmp_path)
    assert code == 1 and message in out and "Traceback" not in out


def test_a_damaged_state_file_is_named_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "campaigns").mkdir()
    write_spec(tmp_path / "campaigns", "a.yaml", spec_text())
    (tmp_path / "bad.db").write_bytes(b"garbage " * 1000)
    code, out = run("serve", "--no-auth", "--state", "bad.db", "--port", "0", cwd=tmp_path)
    assert code == 1 and "bad.db" in out and "Traceback" not in out


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.e2e
def test_one_process_serves_on_loopback_holds_the_lease_and_stops_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "campaigns").mkdir()
    write_spec(tmp_path / "campaigns", "q3.yaml", spec_text("Q3", "running"))
    port = free_port()
    env = {"CXONE_API_BASE": None}
    monkeypatch.chdir(tmp_path)
    with spawned(["serve", "--no-auth", "--port", str(port), "--log-format", "json"], env) as first:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _ = _get(f"{url}/readyz")
            except OSError:
                status = 0
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 200
        code, campaigns = _get(f"{url}/api/v1/campaigns")
        assert code == 200 and [c["name"] for c in campaigns["campaigns"]] == ["Q3"]  # type: ignore[index]
        with spawned(["serve", "--no-auth", "--port", str(free_port())], env) as second:
            out, _ = second.communicate(timeout=20)
        assert second.returncode == 3 and "holds the lease" in out
        first.send_signal(signal.SIGTERM)
        log, _ = first.communicate(timeout=20)
    assert first.returncode == 0, log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line["message"] == "stopped" for line in lines)
    assert all(line["target"].startswith("sandbox") for line in lines)
