"""Injected time and randomness: waits, jitter and expiry tested without sleeping."""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Coroutine
from typing import Any, TypeVar

from reconciler.runtime import Runtime

T = TypeVar("T")


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


class SimulatedTime:
    """Virtual time for many concurrent sleepers: each wakes at its own instant, in order.

    ``run`` drives a coroutine; whenever every task is asleep, the clock jumps to
    the earliest wake-up. Nothing really sleeps, and overlapping waits overlap
    as they would on a real clock (``FakeTime`` adds them up instead).
    """

    def __init__(self, seed: int = 3) -> None:
        self.now = 1000.0
        self.epoch = 1_800_000_000.0
        self.rng = random.Random(seed)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), self._seq, woken))
        await woken

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(coroutine)
        while not task.done():
            for _ in range(50):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            spins = 0
            while not self._sleepers and not task.done():
                spins += 1
                if spins > 1000:
                    raise RuntimeError("every task is blocked and nobody sleeps: a deadlock")
                await asyncio.sleep(0)
            if task.done():
                break
            when, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            woken.set_result(None)
        return task.result()

    @property
    def runtime(self) -> Runtime:
        return Runtime(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep, random=self.rng.random)
