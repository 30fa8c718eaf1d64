"""How apply shows its progress: a live bar on a terminal, plain lines in CI."""

from __future__ import annotations

from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from reconciler.engine.outcome import Outcome


class ApplyProgress:
    def __init__(self, total: int, *, live: bool) -> None:
        self._total = total
        self._live = live
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ApplyProgress:
        if self._live:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("campaigns"),
                TimeElapsedColumn(),
                console=Console(highlight=False),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("apply", total=self._total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def step(self, name: str, message: str) -> None:
        failed = "failed" in message
        if self._bar is not None:
            colour = "red" if failed else "green"
            self._bar.console.print(f"  {name}: [{colour}]{message}[/{colour}]", markup=True, soft_wrap=True)
        else:
            click.echo(f"  {name}: {click.style(message, fg='red' if failed else 'green')}")

    def finished(self, outcome: Outcome) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)
