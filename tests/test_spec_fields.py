"""Field rules that keep hostile text out of URLs, labels and reviews: ids, names, reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.loader import load
from tests.specs import spec_text


def errors_of(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return [(e.line, e.column, e.message) for e in load([str(path)]).errors]


def column_of(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


@pytest.mark.parametrize(
    "bad", ["../../oauth/token", "'CL-839201-AJF2?x=1#'", "-CL", "'CL 1'", "''", "A" * 65]
)
def test_a_contact_list_id_must_look_like_an_id(tmp_path: Path, bad: str) -> None:
    text = spec_text(list_id=bad)
    ((line, column, message),) = errors_of(tmp_path, text)
    assert (line, column) == (9, column_of(text, 9, bad))
    assert message.startswith("spec.contactListId: expected a CXone id")


@pytest.mark.parametrize("bad", ["../../oauth/token", "'DNC-INTERNAL?x=1#'", "'%2e%2e'"])
def test_a_dnc_list_id_must_look_like_an_id(tmp_path: Path, bad: str) -> None:
    text = spec_text(dnc=bad)
    ((line, column, message),) = errors_of(tmp_path, text)
    assert (line, column) == (10, column_of(text, 10, bad))
    assert message.startswith("spec.dnc.listIds.0: expected a CXone id")


@pytest.mark.parametrize("good", ["CL-839201-AJF2", "dnc_internal", "'7'", "A" * 64])
def test_ordinary_ids_are_accepted(tmp_path: Path, good: str) -> None:
    assert errors_of(tmp_path, spec_text(list_id=good, dnc=good)) == []
