"""`reconciler doctor`: probe the selected target read-only and say, check by check, what to fix."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from reconciler.cli.base import current_provider, current_target, handled, main, style, tenant_session
from reconciler.doctor import Check, Report, examine, probes_of, render_text
from reconciler.errors import ConfigError

__all__ = ["doctor"]


async def _diagnose() -> Report:
    provider = "unknown"
    try:
        provider = current_provider()
        target = current_target()
    except ConfigError as error:
        name = (click.get_current_context().find_root().obj or {}).get("target_name", "default")
        report = Report(str(name), provider)
        report.checks.append(Check("settings", "fail", error.message, error.hint or ""))
        return report
    try:
        async with tenant_session(target) as tenant:
            return await examine(probes_of(tenant), target=target.label, provider=provider)
    except ConfigError as error:  # the provider's own settings (read when the session opens)
        report = Report(target.label, provider)
        report.checks.append(Check("settings", "fail", error.message, error.hint or ""))
        return report


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handled
def doctor(fmt: str) -> None:
    """Check the target read-only: credentials, API, campaign and reference lists, tenant settings.

    One line per check, ok / warn / fail, with what to do. Sends no change.
    Exit 0: nothing failed (warnings allowed); 1: a check failed.
    """
    report = asyncio.run(_diagnose())
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(render_text(report, style))
    sys.exit(report.exit_code)
