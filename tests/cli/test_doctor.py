"""`reconciler doctor`: read-only checks of the target, against both emulators in process.

Every run counts the methods the emulator received: the doctor sends GETs
(and token requests) only, whatever it finds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.acd import Quirks, build_acd
from reconciler.emulator.app import Emulator
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.runtime import Runtime
from reconciler.settings import Target
from tests.cli.test_acd import AcdCli, spec, write
from tests.conftest import client_for
from tests.fakes import FakeTime

TOKEN_PATHS = ("/oauth/token", "/auth/token")


def methods(requests: Counter[str]) -> Counter[str]:
    """Requests by method, token requests left out."""
    found: Counter[str] = Counter()
    for key, count in requests.items():
        method, path = key.split(" ", 1)
        if not path.endswith(TOKEN_PATHS):
            found[method] += count
    return found


def doctor(emulator: Emulator, clock: FakeTime, env: dict[str, str], *args: str) -> tuple[int, str]:
    """`reconciler doctor` against the Campaigns emulator, with the target's own credentials."""

    @asynccontextmanager
    async def opener(target: Target, *, runtime: Runtime | None = None) -> AsyncIterator[CampaignsTenant]:
        secret = target.client_secret.get_secret_value()
        async with client_for(
            emulator, clock, client_id=target.client_id, secret=secret, scope=target.scope
        ) as client:
            yield CampaignsTenant(client)

    obj: dict[str, Any] = {"open_tenant": opener, "runtime": clock.runtime}
    result = CliRunner().invoke(main, ["doctor", *args], env=env, obj=obj)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


ENV = {
    "CXONE_API_BASE": "http://emulator.test",
    "CXONE_CLIENT_ID": "demo",
    "CXONE_CLIENT_SECRET": "demo-secret",
}


def by_name(out: str) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(out)["checks"]}


def test_campaigns_every_check_passes_and_only_gets_are_sent(emulator: Emulator, clock: FakeTime) -> None:
    code, out = doctor(emulator, clock, ENV)
    assert code == 0, out
    assert "ok   credentials" in out
    assert "scopes: campaign:read campaign:write" in out
    assert "3 contact list(s) readable" in out
    assert "2 DNC list(s) readable" in out
    assert "0 failed, 0 warning(s), 5 ok." in out

    code, out = doctor(emulator, clock, ENV, "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["provider"] == "cxone-campaigns"
    assert report["target"] == "http://emulator.test"
    assert [c["name"] for c in report["checks"]] == [
        "credentials",
        "api",
        "campaigns",
        "contact lists",
        "dnc lists",
    ]
    assert {c["status"] for c in report["checks"]} == {"ok"}
    assert set(report["checks"][0]) == {"name", "status", "detail", "hint"}
    assert by_name(out)["campaigns"]["detail"] == "0 campaign(s) readable, 0 owned by cxone-reconciler"
    assert "demo-secret" not in out
    assert set(methods(emulator.requests)) == {"GET"}


def test_campaigns_wrong_secret_fails_without_traceback_or_secret(
    emulator: Emulator, clock: FakeTime
) -> None:
    env = {**ENV, "CXONE_CLIENT_SECRET": "wrong-secret-4711"}
    code, out = doctor(emulator, clock, env)
    assert code == 1, out
    assert "FAIL credentials" in out
    assert "invalid_client" in out
    assert "check CXONE_CLIENT_ID and CXONE_CLIENT_SECRET" in out
    assert "not run (they need the failed check): api, campaigns, contact lists, dnc lists" in out
    assert "Traceback" not in out
    assert "wrong-secret-4711" not in out
    assert methods(emulator.requests) == Counter()

    code, out = doctor(emulator, clock, env, "--format", "json")
    assert code == 1
    checks = json.loads(out)["checks"]
    assert [(c["name"], c["status"]) for c in checks] == [("credentials", "fail")]
    assert "wrong-secret-4711" not in out


def test_campaigns_read_only_credentials_warn_and_pass(emulator: Emulator, clock: FakeTime) -> None:
    env = {**ENV, "CXONE_SCOPE": "campaign:read contactlist:read dnc:read"}
    code, out = doctor(emulator, clock, env, "--format", "json")
    assert code == 0, out
    credentials = by_name(out)["credentials"]
    assert credentials["status"] == "warn"
    assert "campaign:write (apply and pace)" in credentials["detail"]
    assert "statistics:read (summary and pace)" in credentials["detail"]
    assert "CXONE_SCOPE" in credentials["hint"]


def test_campaigns_missing_scope_for_a_list_fails_that_check_only(
    emulator: Emulator, clock: FakeTime
) -> None:
    env = {**ENV, "CXONE_SCOPE": "campaign:read contactlist:read"}
    code, out = doctor(emulator, clock, env, "--format", "json")
    assert code == 1, out
    checks = by_name(out)
    assert checks["contact lists"]["status"] == "ok"
    assert checks["dnc lists"]["status"] == "fail"
    assert "dnc:read" in checks["dnc lists"]["hint"]
    assert set(methods(emulator.requests)) == {"GET"}


def test_settings_errors_are_a_failed_check(emulator: Emulator, clock: FakeTime) -> None:
    env = {"CXONE_API_BASE": "http://emulator.test", "CXONE_CLIENT_ID": "demo"}
    code, out = doctor(emulator, clock, env)
    assert code == 1, out
    assert "FAIL settings" in out
    assert "CXONE_CLIENT_SECRET" in out
    assert "Traceback" not in out


# provider cxone-acd


def acd_cli(**build: Any) -> AcdCli:
    clock = FakeTime()
    return AcdCli(build_acd(":memory:", clock=clock.wall, quirks=Quirks.all(), **build), clock)


@pytest.fixture
def acd() -> AcdCli:
    return acd_cli()


def test_acd_every_probe_passes_and_sends_no_change(acd: AcdCli, tmp_path: Path) -> None:
    specs = tmp_path / "campaigns"
    write(specs, "renewals.yaml", spec("rc-renewals"))
    assert acd.run("apply", "--auto-approve", str(specs))[0] == 0
    before = Counter(acd.emulator.requests)

    code, out = acd.run("doctor", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["provider"] == "cxone-acd"
    checks = by_name(out)
    assert list(checks) == [
        "credentials",
        "api host",
        "api version",
        "campaigns",
        "calling lists",
        "dnc groups",
        "tenant dnc group",
        "predictive dialing",
        "schedule time zone",
        "reporting campaign",
    ]
    assert {c["status"] for c in checks.values()} == {"ok"}, out
    assert "access key 'demo' accepted" in checks["credentials"]["detail"]
    assert "discovered from tenant" in checks["api host"]["detail"]
    assert checks["api version"]["detail"].startswith("v34.0 answers")
    skills = "1 Personal Connection skill(s) readable, 1 owned by cxone-reconciler"
    assert checks["campaigns"]["detail"] == skills
    assert checks["calling lists"]["detail"] == "3 calling list(s) readable"
    assert checks["dnc groups"]["detail"] == "3 active DNC group(s) readable"
    assert checks["tenant dnc group"]["detail"] == "'Tenant-DNC' exists"
    assert checks["schedule time zone"]["detail"].startswith("America/New_York")
    assert "demo-secret" not in out

    sent = Counter(acd.emulator.requests)
    sent.subtract(before)
    assert set(methods(+sent)) == {"GET"}, sent
    assert sent["POST /auth/token"] >= 1

    code, out = acd.run("doctor")
    assert code == 0, out
    assert "0 failed, 0 warning(s), 10 ok." in out


def test_acd_wrong_access_key_fails_without_traceback_or_secret(acd: AcdCli) -> None:
    env = {**acd.env, "CXONE_ACCESS_KEY_SECRET": "not-the-secret-0815"}
    code, out = acd.run("doctor", env=env)
    assert code == 1, out
    assert "FAIL credentials" in out
    assert "refused the access key 'demo'" in out
    assert "CXONE_ACCESS_KEY_SECRET" in out
    assert "not run (they need the failed check): api host, api version" in out
    assert "Traceback" not in out
    assert "not-the-secret-0815" not in out
    assert methods(acd.emulator.requests) == Counter()


def test_acd_research_unknowns_are_reported(tmp_path: Path) -> None:
    cli = acd_cli(allow_predictive=False, default_time_zone="Eastern Standard Time")
    env = {**cli.env, "CXONE_ACD_CAMPAIGN": "Outbound-2025"}
    del env["CXONE_ACD_TENANT_DNC_GROUP"]
    code, out = cli.run("doctor", "--format", "json", env=env)
    assert code == 0, out  # warnings only
    checks = by_name(out)
    assert checks["tenant dnc group"]["status"] == "warn"
    assert "dnc.enforceLocal are refused" in checks["tenant dnc group"]["detail"]
    assert "one of 'Internal-Opt-Outs', 'Tenant-DNC', 'Litigators'" in checks["tenant dnc group"]["hint"]
    assert checks["predictive dialing"]["status"] == "warn"
    assert "PREDICTIVE specs are refused" in checks["predictive dialing"]["detail"]
    assert checks["schedule time zone"]["status"] == "warn"
    assert "'Eastern Standard Time' is not an IANA zone" in checks["schedule time zone"]["detail"]
    assert checks["reporting campaign"]["status"] == "warn"
    assert "'Outbound-2025' does not exist" in checks["reporting campaign"]["detail"]
    assert set(methods(cli.emulator.requests)) == {"GET"}

    env |= {"CXONE_ACD_TENANT_DNC_GROUP": "No-Such-Group", "CXONE_ACD_SCHEDULE_TIMEZONE": "Mars/Olympus"}
    code, out = cli.run("doctor", env=env)
    assert code == 1, out
    assert "FAIL tenant dnc group" in out
    assert "'No-Such-Group' is not an active DNC group" in out
    assert "FAIL schedule time zone" in out
    assert set(methods(cli.emulator.requests)) == {"GET"}


def test_acd_an_api_version_the_tenant_does_not_serve_fails(acd: AcdCli) -> None:
    code, out = acd.run("doctor", env={**acd.env, "CXONE_API_VERSION": "99.0"})
    assert code == 1, out
    assert "FAIL api version" in out
    assert "v99.0 does not answer" in out
    assert "CXONE_API_VERSION" in out
    assert "not run (they need the failed check): campaigns" in out
