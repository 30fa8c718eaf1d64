"""`reconciler emulator --seed FILE` reads its YAML through the hardened reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.seed import load_seed
from reconciler.errors import ConfigError

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    + ["contactLists: *i"]
)


def test_a_billion_laughs_seed_is_refused_quickly_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(BILLION_LAUGHS + "\n")
    with pytest.raises(ConfigError) as caught:
        load_seed(path)  # refused by the alias budget before it expands (bench_validate times it)
    message = caught.value.message
    assert message.startswith(f"invalid seed file {path}:")
    line = int(message.removeprefix(f"invalid seed file {path}:").split(":")[0])
    assert 1 <= line <= 10
    assert "alias bomb" in message


def test_a_custom_tag_in_a_seed_executes_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "seed.yaml"
    path.write_text(f'contactLists: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(
        ConfigError, match=r"seed.yaml:1:15: tag !!python/object/apply:os.system is not allowed"
    ):
        load_seed(path)
    assert not marker.exists()


def test_a_seed_with_yaml_12_scalars_loads(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(
        "contactLists:\n"
        "  - {id: CL-1, name: one, recordCount: 3, dncCompliant: true, lastValidated: 2024-06-15T08:30:00Z}\n"
    )
    (contact_list,) = load_seed(path)["contactLists"]
    assert contact_list["lastValidated"] == "2024-06-15T08:30:00Z"


def test_a_huge_seed_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_bytes(b"a: b\n" * 1_000_000)
    with pytest.raises(ConfigError, match="seed files over 4 MiB are refused unread"):
        load_seed(path)
