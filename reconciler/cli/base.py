"""The `reconciler` command group and what its commands share: errors, specs, target."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.errors import ReconcilerError, SpecError
from reconciler.settings import Target, from_env
from reconciler.spec.loader import LoadResult, load

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PATHS = ("campaigns",)


def style(text: str, colour: str) -> str:
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
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=None,
    help="Requests per second to the CXone API (default $CXONE_RATE_LIMIT or 20; 0 = off).",
)
@click.version_option(package_name="cxone-reconciler")
@click.pass_context
def main(ctx: click.Context, verbose: bool, rate_limit: float | None) -> None:
    """Campaigns as code for NICE CXone outbound dialing.

    With CXONE_API_BASE, CXONE_CLIENT_ID and CXONE_CLIENT_SECRET set, commands act on
    that tenant; without CXONE_API_BASE, on the embedded sandbox (.reconciler/sandbox.db).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["rate_limit"] = rate_limit
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("http: %(message)s"))
        http_log = logging.getLogger("reconciler.http")
        http_log.addHandler(handler)
        http_log.setLevel(logging.DEBUG)


def current_target() -> Target:
    obj = click.get_current_context().find_root().obj or {}
    return from_env(rate_limit=obj.get("rate_limit"))


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


_change_options = [
    click.option("--prune", is_flag=True, help="Delete managed campaigns that no spec names."),
    click.option("--adopt", is_flag=True, help="Take over live campaigns of the same name."),
    click.option("--force", is_flag=True, help="Override the stop/delete safety threshold."),
]


def change_options(func: F) -> F:
    for option in reversed(_change_options):
        func = option(func)
    return func
