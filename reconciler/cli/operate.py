"""`reconciler pace` and `reconciler summary`: operating running campaigns."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from reconciler import performance
from reconciler.cli.base import (
    current_runtime,
    current_target,
    fail,
    format_option,
    handled,
    load_specs,
    main,
    stop_on_signals,
    tenant_session,
)
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.escape import visible
from reconciler.pacer import pace_round
from reconciler.pacer import watch as watch_pacing
from reconciler.pacing import PaceResult, Skipped
from reconciler.performance import Row
from reconciler.summary import collect


def _pace_text(results: Sequence[PaceResult], target: str) -> str:
    lines = [f"Target: {visible(target)}", *(r.describe() for r in results)]
    if not results:
        lines.append("No managed RUNNING campaign with adaptivePacing.")
    return "\n".join(lines)


def _pace_json(results: Sequence[PaceResult], target: str) -> str:
    return json.dumps({"target": target, "decisions": [r.to_json() for r in results]}, indent=2)


PACE_RENDERERS: dict[str, Callable[[Sequence[PaceResult], str], str]] = {
    "text": _pace_text,
    "json": _pace_json,
}
"""One pace round's report, by --format."""
WATCH_RENDERERS: dict[str, Callable[[PaceResult | Skipped], str]] = {
    "text": lambda entry: f"{_now()} {entry.describe()}",
    "json": lambda entry: json.dumps({"time": _now(), **entry.to_json()}),
}
"""One line per campaign and round of `pace --watch`, by --format."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--dry-run", is_flag=True, help="Decide and report; patch nothing.")
@click.option("--watch", is_flag=True, help="Keep going, each campaign at its adaptivePacing.interval.")
@click.option("--rounds", type=click.IntRange(1), default=None, help="With --watch: stop after N rounds.")
@format_option(PACE_RENDERERS, "text")
@handled
def pace(paths: tuple[str, ...], dry_run: bool, watch: bool, rounds: int | None, fmt: str) -> None:
    """Keep running campaigns inside their adaptive pacing rules (one round, or --watch).

    One round exits 1 when any campaign it should pace could not be (its
    figures could not be read, or its PATCH failed); the others are paced.
    """
    loaded = load_specs(paths)
    specs = [c.campaign for c in loaded.campaigns]
    target = current_target()
    if not any(s.spec.adaptivePacing for s in specs):
        click.echo("No spec declares adaptivePacing; nothing to pace.", err=True)
    if not watch:

        async def once() -> list[PaceResult]:
            async with tenant_session(target) as tenant:
                return await pace_round(tenant, specs, dry_run=dry_run, now=current_runtime().wall)

        results = asyncio.run(once())
        click.echo(PACE_RENDERERS[fmt](results, target.label))
        failed = [r for r in results if r.failed]
        if failed:
            fail(
                ReconcilerError(
                    f"could not pace {len(failed)} of {len(results)} campaign(s) on {visible(target.label)}: "
                    + "; ".join(f"{visible(r.name)}: {visible(r.error or '')}" for r in failed),
                    hint="the other campaigns were paced; run pace again once the cause is fixed",
                )
            )
        return

    line = WATCH_RENDERERS[fmt]

    def report(entry: PaceResult | Skipped) -> None:
        click.echo(line(entry))

    async def forever() -> None:
        with stop_on_signals() as stop:
            async with tenant_session(target) as tenant:
                await watch_pacing(
                    tenant,
                    specs,
                    dry_run=dry_run,
                    runtime=current_runtime(),
                    report=report,
                    stop=stop,
                    rounds=rounds,
                )

    if fmt == "text":
        click.echo(f"Watching pacing on {visible(target.label)} (Ctrl-C stops)")
    asyncio.run(forever())
    if fmt == "text":
        click.echo("pace stopped")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _html(rows: Sequence[Row], target: str) -> str:
    from reconciler.web.report import render_html  # the templates and the chart library load on demand

    return render_html(rows, target)


SUMMARY_RENDERERS: dict[str, Callable[[Sequence[Row], str], str]] = {**performance.RENDERERS, "html": _html}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@format_option(SUMMARY_RENDERERS, "table")
@click.option(
    "--fail-over-cap",
    is_flag=True,
    help="Exit 1 (after the report) when a campaign's abandon rate is over its cap.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the report to FILE instead of printing it (e.g. --format html --out report.html).",
)
@handled
def summary(paths: tuple[str, ...], fmt: str, fail_over_cap: bool, out: str | None) -> None:
    """Performance of the managed campaigns the specs name.

    `--format html --out report.html` writes one self-contained page (the
    figures and their charts, no network needed) to mail or attach.
    """
    loaded = load_specs(paths)
    target = current_target()

    async def run() -> tuple[list[Row], list[str]]:
        async with tenant_session(target) as tenant:
            return await collect(tenant, [c.campaign for c in loaded.campaigns])

    rows, missing = asyncio.run(run())
    for name in missing:
        click.echo(
            f"warning: {visible(name)}: no managed campaign of that name on {visible(target.label)}; "
            "apply first",
            err=True,
        )
    report = SUMMARY_RENDERERS[fmt](rows, target.label)
    if out is None:
        click.echo(report)
    else:
        _write(out, report)
        click.echo(f"Wrote the {fmt} report of {len(rows)} campaign(s) to {visible(out)}", err=True)
    over = performance.over_cap(rows)
    if fail_over_cap and over:
        fail(
            ReconcilerError(
                f"{len(over)} campaign(s) over their abandon-rate cap on {visible(target.label)}: "
                + "; ".join(f"{visible(r.name)} {r.abandon_rate:.1%} > {r.cap:.1%}" for r in over),
                hint="lower their pacing (reconciler pace enforces maxAbandonRate) and check the dialer",
            )
        )


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {path}: {exc.strerror}") from None
