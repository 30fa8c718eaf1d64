"""The `reconciler` command: parse, build, call, render, exit code. No logic."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.emulator.app import ALL_SCOPES, DEMO_CLIENT, ApiClient, FailStart, Faults
from reconciler.emulator.app import build as build_emulator
from reconciler.emulator.dialer import DialerModel
from reconciler.emulator.seed import load_seed
from reconciler.emulator.server import server
from reconciler.emulator.store import Lifecycle
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


def _parse_client(value: str) -> ApiClient:
    client_id, _, rest = value.partition(":")
    secret, _, scopes = rest.partition(":")
    if not client_id or not secret:
        raise click.BadParameter(f"expected ID:SECRET[:scope,scope...], got {value!r}")
    granted = tuple(s for s in scopes.replace(",", " ").split() if s) or ALL_SCOPES
    unknown = [s for s in granted if s not in ALL_SCOPES]
    if unknown:
        raise click.BadParameter(f"unknown scope(s) {', '.join(unknown)}; known: {' '.join(ALL_SCOPES)}")
    return ApiClient(client_id, secret, granted)


def _parse_fail_start(value: str) -> FailStart:
    pattern, _, code = value.partition("=")
    return FailStart(pattern, code or "DIALER_SESSION_FAILURE")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--db", type=click.Path(dir_okay=False), help="SQLite file to keep state in (default: memory).")
@click.option(
    "--seed", "seed_file", type=click.Path(exists=True, dir_okay=False), help="YAML reference data."
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="ID:SECRET[:SCOPES]",
    help="Add an API client (scopes comma-separated; default all five). Repeatable.",
)
@click.option("--token-lifetime", default=3600, show_default=True, type=click.IntRange(1), help="Seconds.")
@click.option(
    "--latency", default=0.0, show_default=True, type=click.FloatRange(0), help="Seconds per request."
)
@click.option(
    "--error-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1), help="Random 5xx share."
)
@click.option(
    "--rate-limit", default=0.0, show_default=True, type=click.FloatRange(0), help="Requests/s; 0 = off."
)
@click.option("--queued", default=0.5, show_default=True, type=click.FloatRange(0), help="Seconds QUEUED.")
@click.option(
    "--initializing", default=1.0, show_default=True, type=click.FloatRange(0), help="Seconds INITIALIZING."
)
@click.option(
    "--stopping", default=0.5, show_default=True, type=click.FloatRange(0), help="Seconds STOPPING."
)
@click.option(
    "--fail-start",
    multiple=True,
    metavar="PATTERN[=CODE]",
    help="Starts of campaigns whose name matches PATTERN end in ERROR with CODE. Repeatable.",
)
@click.option("--dialer-seed", default=7, show_default=True, type=int, help="Seed of the simulated dialer.")
@handled
def emulator(
    host: str,
    port: int,
    db: str | None,
    seed_file: str | None,
    clients: tuple[str, ...],
    token_lifetime: int,
    latency: float,
    error_rate: float,
    rate_limit: float,
    queued: float,
    initializing: float,
    stopping: float,
    fail_start: tuple[str, ...],
    dialer_seed: int,
) -> None:
    """Serve the bundled CXone emulator over HTTP (Ctrl-C stops it)."""
    extra = tuple(_parse_client(c) for c in clients)
    instance = build_emulator(
        db or ":memory:",
        clients=(DEMO_CLIENT, *extra),
        token_lifetime=token_lifetime,
        lifecycle=Lifecycle(queued=queued, initializing=initializing, stopping=stopping),
        dialer=DialerModel(seed=dialer_seed),
        faults=Faults(
            latency=latency,
            error_rate=error_rate,
            rate_limit=rate_limit,
            fail_start=tuple(_parse_fail_start(f) for f in fail_start),
        ),
        seed=load_seed(Path(seed_file)) if seed_file else None,
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"CXone emulator on http://{shown}:{port}  (state: {db or 'in memory'})")
    click.echo(f"  export CXONE_API_BASE=http://{shown}:{port}")
    click.echo(f"  export CXONE_CLIENT_ID={DEMO_CLIENT.client_id} CXONE_CLIENT_SECRET={DEMO_CLIENT.secret}")
    click.echo("  (demo credentials of the emulator, not a secret; Ctrl-C stops it)")
    verbose = click.get_current_context().find_root().obj.get("verbose")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how an emulator is meant to stop
        server(instance, host, port, log_level="info" if verbose else "warning").run()
    click.echo("emulator stopped")
