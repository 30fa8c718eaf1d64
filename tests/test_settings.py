"""Targets and credentials from the environment; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.seed import load_seed
from reconciler.errors import ConfigError
from reconciler.settings import ALL_SCOPES, from_env
from tests.conftest import Tenant
from tests.specs import spec_text, write_spec


def test_no_api_base_means_the_sandbox() -> None:
    target = from_env({})
    assert target.sandbox == Path(".reconciler/sandbox.db")
    assert target.label == "sandbox .reconciler/sandbox.db"


def test_a_tenant_needs_both_credentials_and_the_error_names_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="CXONE_CLIENT_ID and CXONE_CLIENT_SECRET are not"):
        from_env({"CXONE_API_BASE": "https://cxone.example"})
    with pytest.raises(ConfigError, match="CXONE_CLIENT_SECRET is not"):
        from_env({"CXONE_API_BASE": "https://cxone.example", "CXONE_CLIENT_ID": "ci"})


def test_defaults_and_overrides() -> None:
    env = {
        "CXONE_API_BASE": "https://cxone.example/",
        "CXONE_CLIENT_ID": "ci",
        "CXONE_CLIENT_SECRET": "s3cret",
    }
    target = from_env(env)
    assert (target.base_url, target.token_url, target.scope) == (
        "https://cxone.example",
        "https://cxone.example/oauth/token",
        ALL_SCOPES,
    )
    assert "s3cret" not in repr(target)
    custom = from_env(
        {**env, "CXONE_TOKEN_URL": "https://auth.example/token", "CXONE_SCOPE": "campaign:read"}
    )
    assert (custom.token_url, custom.scope) == ("https://auth.example/token", "campaign:read")
    assert from_env({**env, "CXONE_RATE_LIMIT": "5"}).rate_limit == 5
    assert from_env({**env, "CXONE_RATE_LIMIT": "5"}, rate_limit=7).rate_limit == 7


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"CXONE_API_BASE": "cxone.example"}, "must be an http(s) URL"),
        ({"CXONE_RATE_LIMIT": "fast"}, "CXONE_RATE_LIMIT must be requests per second"),
    ],
)
def test_bad_settings_are_explained(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        from_env(env)


def test_a_bad_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text("contactLists: [{id: X}]\n")
    with pytest.raises(ConfigError, match=f"invalid seed file {path}"):
        load_seed(path)
    path.write_text("contactLists: [{id: CL-1, name: one, recordCount: 3, dncCompliant: true}]\n")
    assert load_seed(path)["contactLists"][0]["recordCount"] == 3


def test_verbose_traces_http_calls_without_secrets_or_tokens(tenant: Tenant, tmp_path: Path) -> None:
    write_spec(tmp_path, "c.yaml", spec_text("Traced", "running"))
    tenant.env["CXONE_CLIENT_SECRET"] = "demo-secret"
    code, out = tenant.run("-v", "apply", "--auto-approve", str(tmp_path))
    assert code == 0, out
    assert "http: POST /oauth/token -> 200" in out
    assert "http: POST /api/campaigns -> 201" in out
    assert "(attempt 1)" in out
    tokens = [row for row in tenant.emulator.store._db.execute("SELECT token FROM tokens")]
    assert tokens
    for (token,) in tokens:
        assert token not in out
    assert "demo-secret" not in out


def test_a_missing_credential_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    write_spec(tmp_path, "c.yaml", spec_text())
    result = CliRunner().invoke(
        main, ["plan", str(tmp_path)], env={"CXONE_API_BASE": "https://cxone.example"}
    )
    assert result.exit_code == 1
    assert "error: CXONE_API_BASE is set but CXONE_CLIENT_ID and CXONE_CLIENT_SECRET are not" in result.output
    assert "Traceback" not in result.output


def test_wrong_credentials_name_the_variables(tenant: Tenant, tmp_path: Path) -> None:
    write_spec(tmp_path, "c.yaml", spec_text())
    tenant.env["CXONE_CLIENT_SECRET"] = "not-the-secret"
    code, out = tenant.run("plan", str(tmp_path))
    assert code == 1
    assert "invalid_client" in out and "CXONE_CLIENT_ID and CXONE_CLIENT_SECRET" in out
    assert "not-the-secret" not in out


def test_an_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main
    from reconciler.emulator.server import free_port

    write_spec(tmp_path, "c.yaml", spec_text())
    base = f"http://127.0.0.1:{free_port()}"
    env = {"CXONE_API_BASE": base, "CXONE_CLIENT_ID": "ci", "CXONE_CLIENT_SECRET": "s3cret-value"}
    result = CliRunner().invoke(main, ["-v", "plan", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert f"error: cannot reach the CXone token endpoint at {base}/oauth/token: connection refused" in (
        result.output
    )
    assert "hint: check CXONE_TOKEN_URL" in result.output
    assert "unavailable" not in result.output and "circuit" not in result.output
    assert "http: POST /oauth/token -> connection refused after" in result.output
    assert "(attempt 1)" in result.output and "(attempt 2)" in result.output
    assert "Traceback" not in result.output and "s3cret-value" not in result.output


def test_flags_override_the_environment(tenant: Tenant, tmp_path: Path) -> None:
    write_spec(tmp_path, "c.yaml", spec_text())
    url = tenant.env.pop("CXONE_API_BASE")
    tenant.env["CXONE_CLIENT_ID"] = "someone-else"
    code, out = tenant.run(
        "--api-base", url, "--client-id", "demo", "--scope", "campaign:read", "plan", str(tmp_path)
    )
    assert code == 1  # a plan reads the contact lists: contactlist:read is missing
    assert f"Target: {url}" not in out
    assert "needs scope contactlist:read" in out or "lacks scope contactlist:read" in out
    code, out = tenant.run("--api-base", url, "--client-id", "demo", "plan", str(tmp_path))
    assert code == 0
    assert f"Target: {url}" in out


def test_a_plan_that_cannot_be_saved_is_a_clear_error(tenant: Tenant, tmp_path: Path) -> None:
    write_spec(tmp_path, "c.yaml", spec_text())
    code, out = tenant.run("plan", "--out", str(tmp_path / "missing" / "plan.json"), str(tmp_path))
    assert code == 1
    assert "error: cannot save the plan to" in out and "Traceback" not in out


def test_a_sandbox_that_cannot_be_opened_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".reconciler").write_text("not a folder")
    write_spec(tmp_path, "c.yaml", spec_text())
    result = CliRunner().invoke(main, ["plan", "c.yaml"], env={"CXONE_API_BASE": None})
    assert result.exit_code == 1
    assert "error: cannot open the sandbox at .reconciler/sandbox.db" in result.output


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("corrupt", "the file is damaged"),
        # the sandbox waits 10 s for a lock before it gives up: real time, so end to end
        pytest.param("locked", "another reconciler command (or serve) is using", marks=pytest.mark.e2e),
    ],
)
def test_a_damaged_or_locked_sandbox_is_a_clear_error_with_the_right_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, says: str
) -> None:
    import sqlite3

    from click.testing import CliRunner

    from reconciler.cli import main

    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, "c.yaml", spec_text())
    database = tmp_path / ".reconciler" / "sandbox.db"
    database.parent.mkdir()
    holder = None
    if damage == "corrupt":
        database.write_bytes(b"this is not a database" * 100)
    else:
        runner = CliRunner()
        assert runner.invoke(main, ["plan", "c.yaml"], env={"CXONE_API_BASE": None}).exit_code == 0
        holder = sqlite3.connect(database, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
    try:
        result = CliRunner().invoke(main, ["plan", "c.yaml"], env={"CXONE_API_BASE": None})
    finally:
        if holder is not None:
            holder.close()
    assert result.exit_code == 1, result.output
    assert "error: cannot open the sandbox at .reconciler/sandbox.db" in result.output
    assert says in result.output and "this is a bug" not in result.output
