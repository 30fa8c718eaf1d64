"""Injected time and randomness: waits, jitter and expiry tested without sleeping."""

from __future__ import annotations

import asyncio
import random

from reconciler.cxone.resilience import Runtime


class FakeTime:
    """A monotonic and a wall clock that only move when someone sleeps."""

    def __init__(self, seed: int = 3) -> None:
        self.now = 1000.0
        self.epoch = 1_800_000_000.0
        self.sleeps: list[float] = []
        self.rng = random.Random(seed)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    @property
    def runtime(self) -> Runtime:
        return Runtime(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep, random=self.rng.random)
