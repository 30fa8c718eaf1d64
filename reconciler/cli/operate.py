"""`reconciler pace` and `reconciler summary`: operating running campaigns."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click

from reconciler import summary as performance
from reconciler.cli.base import current_target, handled, load_specs, main, stop_on_signals
from reconciler.pacer import pace_round
from reconciler.pacer import watch as watch_pacing
from reconciler.pacing import describe
from reconciler.session import connect
from reconciler.summary import Row, collect


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--dry-run", is_flag=True, help="Decide and report; patch nothing.")
@click.option("--watch", is_flag=True, help="Keep going, each campaign at its adaptivePacing.interval.")
@click.option("--rounds", type=click.IntRange(1), default=None, help="With --watch: stop after N rounds.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handled
def pace(paths: tuple[str, ...], dry_run: bool, watch: bool, rounds: int | None, fmt: str) -> None:
    """Keep running campaigns inside their adaptive pacing rules (one round, or --watch)."""
    loaded = load_specs(paths)
    specs = [c.campaign for c in loaded.campaigns]
    target = current_target()
    if not any(s.spec.adaptivePacing for s in specs):
        click.echo("No spec declares adaptivePacing; nothing to pace.", err=True)
    if not watch:

        async def once() -> list[dict[str, Any]]:
            async with connect(target) as client:
                return await pace_round(client, specs, dry_run=dry_run, now=client.runtime.wall)

        decisions = asyncio.run(once())
        if fmt == "json":
            click.echo(json.dumps({"target": target.label, "decisions": decisions}, indent=2))
            return
        click.echo(f"Target: {target.label}")
        for d in decisions:
            click.echo(describe(d))
        if not decisions:
            click.echo("No managed RUNNING campaign with adaptivePacing.")
        return

    def report(entry: dict[str, Any]) -> None:
        if fmt == "json":
            click.echo(json.dumps({"time": _now(), **entry}))
        else:
            click.echo(f"{_now()} {describe(entry)}")

    async def forever() -> None:
        with stop_on_signals() as stop:
            async with connect(target) as client:
                await watch_pacing(
                    client,
                    specs,
                    dry_run=dry_run,
                    now=client.runtime.wall,
                    report=report,
                    stop=stop,
                    rounds=rounds,
                )

    if fmt == "text":
        click.echo(f"Watching pacing on {target.label} (Ctrl-C stops)")
    asyncio.run(forever())
    if fmt == "text":
        click.echo("pace stopped")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json", "csv"]),
    default="table",
    show_default=True,
)
@handled
def summary(paths: tuple[str, ...], fmt: str) -> None:
    """Performance of the managed campaigns the specs name."""
    loaded = load_specs(paths)
    target = current_target()

    async def run() -> tuple[list[Row], list[str]]:
        async with connect(target) as client:
            return await collect(client, [c.campaign for c in loaded.campaigns])

    rows, missing = asyncio.run(run())
    for name in missing:
        click.echo(
            f"warning: {name}: no managed campaign of that name on {target.label}; apply first", err=True
        )
    if fmt == "json":
        click.echo(performance.render_json(rows, target.label))
    elif fmt == "csv":
        click.echo(performance.render_csv(rows))
    elif fmt == "markdown":
        click.echo(performance.render_markdown(rows, target.label))
    else:
        click.echo(performance.render_table(rows, target.label))
