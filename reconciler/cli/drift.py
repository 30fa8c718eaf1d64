"""`reconciler drift`: what differs between the specs and the tenant (sends no change)."""

from __future__ import annotations

import asyncio
import sys

import click

from reconciler.cli.base import current_target, handled, load_specs, main, style, tenant_session
from reconciler.engine import drift_render
from reconciler.engine.diff import Desired
from reconciler.engine.drift import DriftReport, detect

__all__ = ["drift"]

DRIFT_FORMATS = {
    "text": lambda report: drift_render.render_text(report, style),
    "markdown": drift_render.render_markdown,
    "json": drift_render.render_json,
}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(list(DRIFT_FORMATS)), default="text", show_default=True)
@handled
def drift(paths: tuple[str, ...], fmt: str) -> None:
    """Show what differs between the specs and the tenant (default: campaigns/).

    Exit 0: no drift; 2: drift; 1: error. Reads the campaign list only.
    """
    loaded = load_specs(paths, echo_warnings=fmt == "text")  # JSON and Markdown stay parseable
    desired = [Desired.from_spec(s.campaign) for s in loaded.campaigns]
    target = current_target()

    async def run() -> DriftReport:
        async with tenant_session(target) as tenant:
            return detect(desired, await tenant.campaigns(), target=target.label)

    report = asyncio.run(run())
    click.echo(DRIFT_FORMATS[fmt](report))
    sys.exit(2 if report.has_drift else 0)
