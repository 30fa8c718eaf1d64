"""`reconciler validate`: offline checks of spec files."""

from __future__ import annotations

import sys

import click

from reconciler.cli.base import current_provider, default_paths, handled, main, style
from reconciler.spec import report
from reconciler.spec.loader import load, require_specs


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Succeed when the paths hold no campaign specs (by default that is an error).",
)
@handled
def validate(paths: tuple[str, ...], fmt: str, allow_empty: bool) -> None:
    """Check spec files offline (default: campaigns/)."""
    defaults = default_paths()  # resolves --target even when paths are given: a typo is an error
    where = list(paths) or defaults
    result = load(where, provider=current_provider(), lasting=True)  # the command ends after reporting it
    empty = require_specs(result, where, allow_empty=allow_empty)
    if empty is not None:
        result.diagnostics.append(empty)
    if fmt == "json":
        click.echo(report.render_json(result))
    elif fmt == "github":
        click.echo(report.render_github(result))
    else:
        click.echo(report.render_text(result, style))
    sys.exit(0 if result.valid else 1)
