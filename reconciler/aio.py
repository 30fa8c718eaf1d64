"""Structured concurrency: run coroutines together; on the first failure the
others are cancelled and awaited, then that failure is raised as itself
(no orphaned tasks, no exception groups for callers to unpack)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

A = TypeVar("A")
B = TypeVar("B")


async def _run(coroutines: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coroutines]
    except BaseExceptionGroup as failed:
        raise _first(failed) from None
    return [t.result() for t in tasks]


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error = group.exceptions[0]
    return _first(error) if isinstance(error, BaseExceptionGroup) else error


async def gather(*coroutines: Coroutine[Any, Any, A]) -> list[A]:
    return await _run(list(coroutines))


async def pair(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    a, b = await _run([first, second])
    return a, b
