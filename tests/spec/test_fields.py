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


CONTROLS = [
    "\\t",
    "\\n",
    "\\r",
    "\\x00",
    "\\x1b",
    "\\x7f",
    "\\x85",
    "\\u202e",
    "\\u2066",
    "\\u200f",
    "\\u2028",
]


@pytest.mark.parametrize("control", CONTROLS)
def test_a_campaign_name_is_printable_text(tmp_path: Path, control: str) -> None:
    text = spec_text(name=f'"Renewals{control}Q3"')
    ((line, column, message),) = errors_of(tmp_path, text)
    assert (line, column) == (4, 9)
    assert message.startswith("metadata.name: must be printable text on one line")


@pytest.mark.parametrize("control", CONTROLS)
def test_label_keys_and_values_are_printable_text(tmp_path: Path, control: str) -> None:
    text = spec_text().replace(
        "labels: {team: sales}", f'labels: {{"te{control}am": sales, b: "x{control}y"}}'
    )
    errors = errors_of(tmp_path, text)
    assert [(line, column) for line, column, _ in errors] == [(5, 12), (5, column_of(text, 5, '"x'))]
    assert all("must be printable text" in message for _, _, message in errors)
    assert errors[0][2].startswith("metadata.labels: key ")


def test_names_and_labels_keep_their_length_bounds(tmp_path: Path) -> None:
    text = spec_text(name="N" * 129).replace("labels: {team: sales}", f"labels: {{{'k' * 64}: {'v' * 256}}}")
    messages = [message for _, _, message in errors_of(tmp_path, text)]
    assert any("metadata.name: must be at most 128 characters" in m for m in messages)
    assert any("must be at most 63 characters" in m for m in messages)
    assert any("must be at most 255 characters" in m for m in messages)


def test_unicode_names_and_spaces_are_fine(tmp_path: Path) -> None:
    assert errors_of(tmp_path, spec_text(name="'Relance clients – été 2025'")) == []


OPT_OUT = (
    "  adaptivePacing: {minCallsPerMinute: 5, maxCallsPerMinute: 25, maxAbandonRate: 0.05}\n"
    "  complianceOptOuts:\n"
    "    maxAbandonRate: {reason: %s}\n"
)


@pytest.mark.parametrize(
    "reason", ['"            "', '"\\t\\n  \\n\\t\\n\\n  \\n"', '"    short    "', '"      \\u00a0   "']
)
def test_a_reason_of_blanks_is_not_a_reason(tmp_path: Path, reason: str) -> None:
    text = spec_text(extra=OPT_OUT % reason)
    ((line, column, message),) = errors_of(tmp_path, text)
    assert (line, column) == (16, column_of(text, 16, reason))
    assert "at least 10 characters, not counting surrounding spaces" in message


def test_a_real_reason_is_shown_without_its_padding(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(spec_text(extra=OPT_OUT % '"   B2B numbers only   "'))
    (warning,) = load([str(path)]).diagnostics
    assert warning.severity == "warning" and warning.message.endswith("opted out: B2B numbers only")
