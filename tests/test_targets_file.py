"""targets.yaml: read strictly through the hardened reader, every problem at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError, SpecError
from reconciler.targets import find_target, load_targets, parse_targets

TWO = """\
targets:
  - name: emea
    apiBase: https://api-eu1.example.com/
    campaigns: campaigns/emea/
    clientIdEnv: CXONE_EMEA_CLIENT_ID
    clientSecretEnv: CXONE_EMEA_CLIENT_SECRET
  - name: us
    apiBase: https://api-na1.example.com
    tokenUrl: https://auth.example.com/token
    scope: campaign:read campaign:write
    campaigns: campaigns/us
    clientIdEnv: CXONE_US_CLIENT_ID
    clientSecretEnv: CXONE_US_CLIENT_SECRET
    provider: cxone-acd
"""


def errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_targets(text, "targets.yaml")
    assert caught.value.message.endswith("error(s) in targets.yaml; fix them and run again")
    return [d.format() for d in caught.value.diagnostics]


def test_a_valid_file_gives_each_target_normalised() -> None:
    emea, us = parse_targets(TWO).targets
    assert (emea.name, emea.apiBase, emea.campaigns) == (
        "emea",
        "https://api-eu1.example.com",
        "campaigns/emea",
    )
    assert (emea.tokenUrl, emea.scope, emea.provider) == (None, None, None)
    assert (emea.environment, emea.readonly_environment) == ("cxone-emea", "cxone-emea-readonly")
    assert us.tokenUrl == "https://auth.example.com/token"
    assert us.provider == "cxone-acd"


def test_every_problem_is_reported_at_its_node() -> None:
    text = """\
targets:
  - name: Emea_2
    apiBase: ftp://x
    campains: x
    clientIdEnv: 1X
    clientSecretEnv: Y
    provider: acd
"""
    assert errors(text) == [
        "targets.yaml:2:5: error: missing required field 'campaigns' in targets.0",
        "targets.yaml:2:11: error: targets.0.name: must be 1 to 32 lower-case letters, digits or '-', "
        "starting and ending with a letter or digit (it names GitHub environments, issues and artifacts), "
        "e.g. emea-sales (got 'Emea_2')",
        "targets.yaml:3:14: error: targets.0.apiBase: must be an http(s) URL with a host, "
        "e.g. https://api-na1.niceincontact.com",
        "targets.yaml:4:5: error: unknown field 'campains' in targets.0; did you mean 'campaigns'?",
        "targets.yaml:5:18: error: targets.0.clientIdEnv: must be an environment variable name: letters, "
        "digits and '_', not starting with a digit, e.g. CXONE_EMEA_CLIENT_ID (got '1X')",
        "targets.yaml:7:15: error: targets.0.provider: must be 'cxone-campaigns' or 'cxone-acd' (got 'acd')",
    ]


def test_a_name_used_twice_points_at_both() -> None:
    second = TWO.split("  - name: us")[0].replace("name: emea", "name: us", 1)
    text = TWO + second.removeprefix("targets:\n")
    assert errors(text) == [
        "targets.yaml:15:11: error: target name 'us' is used twice (first at 7:11); names must be unique"
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("campaigns", "../elsewhere", "must be a folder inside the repository"),
        ("campaigns", "/etc", "must be a folder inside the repository"),
        ("apiBase", "https://user:pw@api.example.com", "must not carry credentials"),
        ("clientSecretEnv", "CXONE_EMEA_CLIENT_ID", "must name two different variables"),
    ],
)
def test_unsafe_values_are_refused(field: str, value: str, message: str) -> None:
    lines = TWO.split("  - name: us")[0].splitlines()
    text = "\n".join(f"    {field}: {value}" if line.startswith(f"    {field}:") else line for line in lines)
    (found,) = errors(text + "\n")
    assert message in found
    assert "pw@" not in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "targets.yaml:1:1: error: the targets file is empty"),
        ("- a\n", "targets.yaml:1:1: error: the targets file is a list; write a mapping: targets: [...]"),
        ("targets: []\n", "targets.yaml:1:10: error: targets: needs at least 1 item(s) (got a list)"),
        ("a: 1\n---\nb: 2\n", "targets.yaml:3:1: error: the targets file holds more than one YAML document"),
        ("targets: !!python/object x\n", "targets.yaml:1:10: error: tag !!python/object is not allowed"),
        ("targets: [a: *x]\n", "targets.yaml:1:14: error: YAML syntax error"),
        ("target:\n  - x\n", "targets.yaml:1:1: error: unknown field 'target'; did you mean 'targets'?"),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_clear_error(text: str, expected: str) -> None:
    assert errors(text)[0].startswith(expected)


def test_the_file_is_optional_and_read_from_the_repository_root(tmp_path: Path) -> None:
    assert load_targets(tmp_path) is None
    (tmp_path / "targets.yaml").write_text(TWO)
    loaded = load_targets(tmp_path)
    assert loaded is not None and [t.name for t in loaded[1].targets] == ["emea", "us"]


def test_a_huge_or_binary_file_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_bytes(b"targets:\x00")
    with pytest.raises(SpecError) as caught:
        load_targets(tmp_path)
    assert "binary file" in caught.value.diagnostics[0].message
    (tmp_path / "targets.yaml").write_text("#" * (300 * 1024))
    with pytest.raises(SpecError) as caught:
        load_targets(tmp_path)
    assert "targets files over 262,144 bytes are refused unread" in caught.value.diagnostics[0].message


def test_an_unknown_target_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError) as caught:
        find_target(parse_targets(TWO), "eema")
    assert caught.value.message == "no target 'eema' in targets.yaml; did you mean 'emea'?"
    assert caught.value.hint == "the targets are: emea, us (reconciler targets lists them)"
