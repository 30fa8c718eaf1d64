"""The ACD flavour of the bundled emulator: `reconciler emulator --flavor acd`.

``build_acd`` returns an ``AcdEmulator`` whose ``.app`` is the ASGI app, as
``reconciler.emulator.app.build`` does for the Campaigns flavour.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reconciler.emulator.acd.app import DEMO_KEY, DEMO_SECRET, AcdEmulator
from reconciler.emulator.acd.quirks import Quirks
from reconciler.emulator.acd.seed import seed
from reconciler.emulator.acd.state import State
from reconciler.emulator.dialer import DialerModel

__all__ = ["DEMO_KEY", "DEMO_SECRET", "AcdEmulator", "Quirks", "build_acd"]


def build_acd(
    db: str = ":memory:",
    *,
    clock: Callable[[], float] = time.time,
    quirks: Quirks | None = None,
    dialer: DialerModel | None = None,
    version: str = "34.0",
    base_url: str | None = None,
    token_lifetime: int = 3600,
    default_time_zone: str = "America/New_York",
    allow_predictive: bool = True,
) -> AcdEmulator:
    """An ACD emulator over SQLite at ``db`` (a path or ':memory:'), seeded when new."""
    state = State(db, clock=clock)
    if not state.seeded():
        seed(state, default_time_zone=default_time_zone, allow_predictive=allow_predictive)
    return AcdEmulator(
        state,
        quirks=quirks or Quirks(),
        dialer=dialer or DialerModel(),
        version=version,
        base_url=base_url,
        token_lifetime=token_lifetime,
    )
