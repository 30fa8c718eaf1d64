"""--target picks a targets.yaml entry (API, credentials, campaigns folder); `targets` lists them for CI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.app import Emulator
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.settings import Target
from tests.conftest import client_for
from tests.fakes import FakeTime
from tests.specs import spec_text, write_spec
from tests.test_targets_file import TWO

CREDENTIALS = {
    "CXONE_EMEA_CLIENT_ID": "emea-id",
    "CXONE_EMEA_CLIENT_SECRET": "emea-s3cret",
    "CXONE_US_CLIENT_ID": "us-id",
    "CXONE_US_CLIENT_SECRET": "us-s3cret",
}


class Repo:
    """A repository with targets.yaml and a campaign folder per target; the CLI run in it, in process."""

    def __init__(self, root: Path, emulator: Emulator, clock: FakeTime) -> None:
        self.root = root
        self.emulator = emulator
        self.clock = clock
        self.targets: list[Target] = []

    def run(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        @asynccontextmanager
        async def open_tenant(target: Target, *, runtime: object = None) -> AsyncIterator[CampaignsTenant]:
            self.targets.append(target)
            async with client_for(self.emulator, self.clock) as client:
                yield CampaignsTenant(client)

        obj = {"open_tenant": open_tenant, "runtime": self.clock.runtime}
        result = CliRunner().invoke(main, list(args), env=env or {}, obj=obj)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, clock: FakeTime) -> Repo:
    for name in (
        "CXONE_API_BASE",
        "CXONE_CLIENT_ID",
        "CXONE_CLIENT_SECRET",
        "CXONE_TOKEN_URL",
        "CXONE_SCOPE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("RECONCILER_TARGET", "RECONCILER_CLIENT_ID_ENV", "RECONCILER_CLIENT_SECRET_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "targets.yaml").write_text(TWO)
    for folder, name in (("emea", "Emea-Renewals"), ("us", "Us-Winback")):
        (tmp_path / "campaigns" / folder).mkdir(parents=True)
        write_spec(tmp_path / "campaigns" / folder, "a.yaml", spec_text(name, "stopped"))
    return Repo(tmp_path, emulator, clock)


def test_target_selects_its_api_credentials_and_campaigns_folder(repo: Repo) -> None:
    code, out = repo.run("--target", "us", "plan", env=CREDENTIALS)
    assert code == 0, out
    assert "Us-Winback" in out and "Emea-Renewals" not in out
    (target,) = repo.targets
    assert (target.base_url, target.token_url) == (
        "https://api-na1.example.com",
        "https://auth.example.com/token",
    )
    # provider cxone-acd logs in with an access key: the named variables hold it, handed to the provider
    assert target.provider == "cxone-acd"
    assert target.provider_env is not None
    assert (target.provider_env["CXONE_ACCESS_KEY_ID"], target.provider_env["CXONE_ACCESS_KEY_SECRET"]) == (
        "us-id",
        "us-s3cret",
    )
    assert "us-s3cret" not in repr(target)
    assert target.scope == "campaign:read campaign:write"


def test_ambient_tenant_settings_never_leak_into_a_target(repo: Repo) -> None:
    env = {**CREDENTIALS, "CXONE_API_BASE": "https://other.example", "CXONE_TOKEN_URL": "https://other/t"}
    env |= {"CXONE_SCOPE": "campaign:read", "CXONE_CLIENT_ID": "other-id", "CXONE_CLIENT_SECRET": "x"}
    code, out = repo.run("--target", "emea", "plan", env=env)
    assert code == 0, out
    (target,) = repo.targets
    assert target.base_url == "https://api-eu1.example.com"
    assert target.token_url == "https://api-eu1.example.com/oauth/token"
    assert target.client_id == "emea-id"
    assert "campaign:write" in target.scope


def test_flags_override_the_target_and_the_target_can_come_from_the_environment(repo: Repo) -> None:
    env = {**CREDENTIALS, "RECONCILER_TARGET": "emea"}
    code, out = repo.run("--scope", "campaign:read", "plan", env=env)
    assert code == 0, out
    assert "Emea-Renewals" in out
    assert repo.targets[0].scope == "campaign:read"


def test_credentials_can_be_read_from_other_variables_as_ci_hands_them_over(repo: Repo) -> None:
    env = {"CXONE_CLIENT_ID": "readonly-id", "CXONE_CLIENT_SECRET": "readonly-s3cret"}
    args = [
        "--target",
        "emea",
        "--client-id-env",
        "CXONE_CLIENT_ID",
        "--client-secret-env",
        "CXONE_CLIENT_SECRET",
    ]
    code, out = repo.run(*args, "plan", env=env)
    assert code == 0, out
    assert (repo.targets[0].client_id, repo.targets[0].base_url) == (
        "readonly-id",
        "https://api-eu1.example.com",
    )
    assert "readonly-s3cret" not in out


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "error: target 'emea' reads its client id from $CXONE_EMEA_CLIENT_ID, which is not set"),
        (
            {"CXONE_EMEA_CLIENT_ID": "id", "CXONE_EMEA_CLIENT_SECRET": ""},
            "error: target 'emea' reads its client secret from $CXONE_EMEA_CLIENT_SECRET, which is empty",
        ),
    ],
)
def test_a_missing_credential_variable_is_named(repo: Repo, env: dict[str, str], message: str) -> None:
    code, out = repo.run("--target", "emea", "plan", env=env)
    assert code == 1
    assert message in out
    assert "the value is never shown" in out
    assert repo.targets == []


def test_a_missing_variable_named_by_a_flag_is_named_too(repo: Repo) -> None:
    code, out = repo.run("--target", "us", "--client-id-env", "RO_ID", "plan", env=CREDENTIALS)
    assert code == 1
    assert "target 'us' reads its access key id from $RO_ID, which is not set" in out


def test_an_unknown_target_is_an_error_naming_the_known_ones(repo: Repo) -> None:
    code, out = repo.run("--target", "eu", "plan", env=CREDENTIALS)
    assert code == 1
    assert "error: no target 'eu' in targets.yaml" in out
    assert "the targets are: emea, us" in out


def test_with_targets_yaml_a_tenant_command_needs_a_target(repo: Repo) -> None:
    code, out = repo.run("plan", "campaigns/emea", env=CREDENTIALS)
    assert code == 1
    assert "targets.yaml names the targets of this repository; pick one with --target NAME" in out


def test_validate_reads_the_targets_folder_offline_without_credentials(repo: Repo) -> None:
    code, out = repo.run("--target", "us", "validate")
    assert code == 0, out
    assert "1 campaign in 1 file is valid" in out


def test_a_broken_targets_file_is_reported_at_file_line_col(repo: Repo) -> None:
    (repo.root / "targets.yaml").write_text(TWO.replace("clientIdEnv: CXONE_US_CLIENT_ID", "clientIdEnv: 9"))
    code, out = repo.run("--target", "us", "plan", env=CREDENTIALS)
    assert code == 1
    assert "error: 1 error(s) in targets.yaml; fix them and run again" in out
    assert "targets.yaml:12:18: error: targets.1.clientIdEnv: must be text (quote it), got 9" in out


def test_targets_json_drives_a_ci_matrix(repo: Repo) -> None:
    code, out = repo.run("targets", "--format", "json", env=CREDENTIALS)
    assert code == 0
    listing = json.loads(out)
    assert listing["formatVersion"] == 1 and listing["file"] == "targets.yaml"
    assert listing["targets"][0] == {
        "name": "emea",
        "implicit": False,
        "apiBase": "https://api-eu1.example.com",
        "campaigns": "campaigns/emea",
        "clientIdEnv": "CXONE_EMEA_CLIENT_ID",
        "clientSecretEnv": "CXONE_EMEA_CLIENT_SECRET",
        "provider": None,
        "environment": "cxone-emea",
        "readOnlyEnvironment": "cxone-emea-readonly",
    }
    assert [(t["name"], t["provider"]) for t in listing["targets"]] == [("emea", None), ("us", "cxone-acd")]
    assert "s3cret" not in out


def test_targets_text_lists_each_target(repo: Repo) -> None:
    code, out = repo.run("targets")
    assert code == 0
    assert out.splitlines() == [
        "emea: https://api-eu1.example.com  specs campaigns/emea/  "
        "credentials $CXONE_EMEA_CLIENT_ID $CXONE_EMEA_CLIENT_SECRET",
        "us: https://api-na1.example.com  specs campaigns/us/  "
        "credentials $CXONE_US_CLIENT_ID $CXONE_US_CLIENT_SECRET  provider cxone-acd",
        "2 target(s) in targets.yaml",
    ]


def test_without_targets_yaml_the_environment_is_the_one_default_target(repo: Repo) -> None:
    (repo.root / "targets.yaml").unlink()
    code, out = repo.run("targets", "--format", "json")
    (row,) = json.loads(out)["targets"]
    assert (row["name"], row["implicit"], row["apiBase"], row["campaigns"]) == (
        "default",
        True,
        None,
        "campaigns",
    )
    env = {
        "CXONE_API_BASE": "https://u:pw@tenant.example",
        "CXONE_CLIENT_ID": "i",
        "CXONE_CLIENT_SECRET": "s",
    }
    code, out = repo.run("targets", env=env)
    assert code == 0
    assert out.splitlines()[0] == "default: https://tenant.example  specs campaigns/"
    assert "pw" not in out
    code, out = repo.run("targets")
    assert code == 0
    assert out.splitlines()[0] == "default: the embedded sandbox (.reconciler/sandbox.db)  specs campaigns/"


def test_without_targets_yaml_only_the_default_target_exists(repo: Repo) -> None:
    (repo.root / "targets.yaml").unlink()
    code, out = repo.run("--target", "default", "validate", "campaigns")
    assert code == 0, out
    code, out = repo.run("--target", "emea", "validate", "campaigns")
    assert code == 1
    assert "no target 'emea': there is no targets.yaml here, so the only target is 'default'" in out
