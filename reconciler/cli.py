"""The `reconciler` command: parse, build, call, render, exit code. No logic."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.errors import ReconcilerError, SpecError
from reconciler.spec import report
from reconciler.spec.loader import LoadResult, load

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PATHS = ("campaigns",)


def _style(text: str, colour: str) -> str:
    return click.style(text, fg=colour, bold=colour == "red")


def fail(error: ReconcilerError) -> None:
    click.secho(f"error: {error.message}", fg="red", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    if isinstance(error, SpecError):
        for diagnostic in error.diagnostics:
            click.echo(diagnostic.format(), err=True)
    sys.exit(error.exit_code)


def handled(func: F) -> F:
    """Turn ReconcilerError into a message and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReconcilerError as error:
            fail(error)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Trace HTTP calls (redacted) on stderr.")
@click.version_option(package_name="cxone-reconciler")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Campaigns as code for NICE CXone outbound dialing."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def load_specs(paths: tuple[str, ...]) -> LoadResult:
    """Load specs; warnings go to stderr, errors raise SpecError."""
    result = load(list(paths) or list(DEFAULT_PATHS))
    if not result.valid:
        raise SpecError(
            f"{len(result.errors)} error(s) in the spec files; fix them and run again",
            result.diagnostics,
        )
    for warning in result.diagnostics:
        click.echo(warning.format(), err=True)
    return result


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@handled
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check spec files offline (default: campaigns/)."""
    result = load(list(paths) or list(DEFAULT_PATHS))
    if fmt == "json":
        click.echo(report.render_json(result))
    elif fmt == "github":
        click.echo(report.render_github(result))
    else:
        click.echo(report.render_text(result, _style))
    sys.exit(0 if result.valid else 1)
