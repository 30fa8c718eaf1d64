"""The dialer's call count without its minute-by-minute walk is the walk's count."""

from __future__ import annotations

import itertools

from reconciler.emulator.dialer import DialerModel


def test_placed_is_what_segment_places() -> None:
    dialer = DialerModel()
    for cpm, seconds, remaining in itertools.product(
        (0, 1, 7, 10, 60),
        (0.0, 0.5, 59.9, 60.0, 61.0, 119.99, 600.0, 3600.5, 86_400.0),
        (0.0, 1.0, 100.0, 615.0, 15_420.0),
    ):
        walked = dialer.segment("Q3", cpm, 20, begin=12.0, seconds=seconds, remaining=remaining).placed
        assert dialer.placed(cpm, seconds=seconds, remaining=remaining) == walked, (cpm, seconds, remaining)


def test_a_dialled_out_list_is_exactly_the_list() -> None:
    assert DialerModel().placed(10, seconds=10**7, remaining=15_420.0) == 15_420.0
