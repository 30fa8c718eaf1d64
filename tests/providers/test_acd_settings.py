"""provider cxone-acd: a targets.yaml target hands its own settings to the provider; the emulator's flavour
switches; adaptive pacing of maximumRatio."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.emulator import _acd_quirks, _serve_acd
from reconciler.emulator.acd import Quirks
from reconciler.emulator.dialer import DialerModel
from reconciler.errors import ConfigError, SpecError
from reconciler.pacing import decide
from reconciler.providers.acd import options_for
from reconciler.settings import from_env
from reconciler.spec.models import AdaptivePacing
from reconciler.targets import parse_targets, target_env
from reconciler.tenant import Realtime

TARGETS = """\
targets:
  - name: emea
    apiBase: https://api-eu1.niceincontact.com
    campaigns: campaigns/emea
    clientIdEnv: EMEA_KEY_ID
    clientSecretEnv: EMEA_KEY_SECRET
    provider: cxone-acd
    acd:
      authBase: https://cxone.niceincontact.com
      tenantDncGroup: EMEA-DNC
      scheduleTimeZone: Europe/Berlin
      campaign: EMEA Outbound
"""


def test_an_acd_target_takes_its_access_key_and_settings_from_targets_yaml_not_the_ambient_environment() -> (
    None
):
    (spec,) = parse_targets(TARGETS).targets
    ambient = {
        "EMEA_KEY_ID": "emea-key",
        "EMEA_KEY_SECRET": "emea-secret-value",
        "CXONE_ACCESS_KEY_ID": "other-tenant-key",
        "CXONE_ACCESS_KEY_SECRET": "other-tenant-secret",
        "CXONE_ACD_TENANT_DNC_GROUP": "Other-DNC",
        "CXONE_ACD_FORCE_STOP": "true",
    }
    target = from_env(target_env(spec, ambient), strict=True)
    options = options_for(target)
    assert target.provider == "cxone-acd"
    assert (options.access_key_id, options.access_key_secret.get_secret_value()) == (
        "emea-key",
        "emea-secret-value",
    )
    assert options.api_base == "https://api-eu1.niceincontact.com"
    assert (options.tenant_dnc_group, options.schedule_time_zone, options.campaign) == (
        "EMEA-DNC",
        "Europe/Berlin",
        "EMEA Outbound",
    )
    assert options.force_stop is False  # the ambient CXONE_ACD_* belong to another tenant
    for shown in (repr(target), target.label, repr(options)):
        assert "secret" not in shown


def test_acd_settings_on_a_campaigns_target_are_an_error_at_their_line() -> None:
    text = TARGETS.replace("    provider: cxone-acd\n", "")
    with pytest.raises(SpecError) as caught:
        parse_targets(text)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.field) == (2, "targets.0")  # the target's mapping
    assert "acd: settings apply to provider: cxone-acd only" in diagnostic.message


def test_a_missing_access_key_variable_is_named_never_shown() -> None:
    (spec,) = parse_targets(TARGETS).targets
    with pytest.raises(ConfigError) as caught:
        target_env(spec, {"EMEA_KEY_ID": "emea-key"})
    assert "reads its access key secret from $EMEA_KEY_SECRET, which is not set" in str(caught.value)


def test_no_quirk_switches_each_named_quirk_off_and_the_faults_are_counts() -> None:
    quirks = _acd_quirks(("list-lag", "seven-day-schedule", "empty-204"), 5, 9)
    assert quirks == Quirks(
        list_lag=0, seven_day_schedule=False, empty_204=False, throttle_every=5, revoke_every=9
    )


def test_the_acd_flavour_prints_the_environment_to_export(tmp_path: Path) -> None:
    instance, lines = _serve_acd("127.0.0.1", 8766, None, 3600, Quirks(), DialerModel())
    assert hasattr(instance, "app")
    assert lines[1:4] == [
        "  export CXONE_PROVIDER=cxone-acd CXONE_AUTH_BASE=http://127.0.0.1:8766",
        "  export CXONE_ACCESS_KEY_ID=demo CXONE_ACCESS_KEY_SECRET=demo-secret",
        "  export CXONE_ACD_TENANT_DNC_GROUP=Tenant-DNC",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flavor", "acd", "--fail-start", "x"], "--fail-start only apply to --flavor campaigns"),
        (["--no-quirk", "list-lag"], "--no-quirk only apply to --flavor acd"),
        (["--flavor", "acd", "--no-quirk", "nonsense"], "Invalid value for '--no-quirk'"),
    ],
)
def test_flavour_options_are_usage_errors_on_the_other_flavour(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["emulator", "--port", "1", *args])
    assert result.exit_code == 64
    assert message in result.output


RULES = AdaptivePacing.model_validate(
    {"cooldown": "0s", "rules": [{"when": {"answerRate": {"gte": 0.3}}, "set": {"maximumRatio": 3}}]}
)


def figures(answer: float, abandon: float) -> Realtime:
    return Realtime(answer_rate=answer, abandon_rate=abandon, active_calls=4, total_calls=100)


def test_the_abandon_guard_steps_maximum_ratio_down_one_line_a_round_to_progressive() -> None:
    ratio = {"maximumRatio": 3}
    for expected in (2, 1, 1):
        decision = decide(RULES, figures(0.5, 0.08), ratio, now=0, last_change_at=None)
        assert decision.pacing == {"maximumRatio": expected}
        ratio = decision.pacing
    assert "at 1 line per agent, not rising" in decision.reason


def test_rules_set_maximum_ratio_and_no_rule_keeps_it() -> None:
    assert decide(RULES, figures(0.4, 0.0), {"maximumRatio": 1}, now=0, last_change_at=None).pacing == {
        "maximumRatio": 3
    }
    kept = decide(RULES, figures(0.1, 0.0), {"maximumRatio": 2}, now=0, last_change_at=None)
    assert (kept.pacing, kept.reason) == ({"maximumRatio": 2}, "no rule matched")
