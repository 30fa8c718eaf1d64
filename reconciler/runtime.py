"""Time and randomness, injected: waits, jitter, expiry and timeouts are tested without sleeping."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Runtime"]


@dataclass(frozen=True)
class Runtime:
    """Injected clocks, sleep and randomness."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = field(default=random.random)
    localtime: Callable[[float], time.struct_time] = time.localtime
