"""The `reconciler` command: parse, build, call, render, exit code. No logic."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import summary as performance
from reconciler.cxone.client import CxoneClient
from reconciler.emulator.app import ALL_SCOPES, DEMO_CLIENT, ApiClient, FailStart, Faults
from reconciler.emulator.app import build as build_emulator
from reconciler.emulator.dialer import DialerModel
from reconciler.emulator.seed import load_seed
from reconciler.emulator.server import server
from reconciler.emulator.store import Lifecycle
from reconciler.engine import render
from reconciler.engine.apply import DEFAULT_CONCURRENCY, Executor
from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Plan, check_safety
from reconciler.engine.reconcile import check_fresh, make_plan
from reconciler.errors import ConfigError, ReconcilerError, SpecError
from reconciler.pacer import pace_round
from reconciler.pacer import watch as watch_pacing
from reconciler.progress import ApplyProgress
from reconciler.session import connect
from reconciler.settings import Target, from_env
from reconciler.spec import report
from reconciler.spec.loader import LoadResult, load
from reconciler.summary import Row, collect

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
@click.option(
    "--broken",
    multiple=True,
    metavar="PATH_PATTERN",
    help="Paths that always answer 503, e.g. '/api/campaigns/*/realtime'. Repeatable.",
)
@click.option("--dialer-seed", default=7, show_default=True, type=int, help="Seed of the simulated dialer.")
@click.option(
    "--dialer-speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Simulated seconds of dialing per real second.",
)
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
    broken: tuple[str, ...],
    dialer_seed: int,
    dialer_speed: float,
) -> None:
    """Serve the bundled CXone emulator over HTTP (Ctrl-C stops it)."""
    extra = tuple(_parse_client(c) for c in clients)
    instance = build_emulator(
        db or ":memory:",
        clients=(DEMO_CLIENT, *extra),
        token_lifetime=token_lifetime,
        lifecycle=Lifecycle(queued=queued, initializing=initializing, stopping=stopping),
        dialer=DialerModel(seed=dialer_seed, speed=dialer_speed),
        faults=Faults(
            latency=latency,
            error_rate=error_rate,
            rate_limit=rate_limit,
            fail_start=tuple(_parse_fail_start(f) for f in fail_start),
            broken=broken,
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


def _render_plan(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return render.render_json(plan)
    if fmt == "markdown":
        return render.render_markdown(plan)
    return render.render_text(plan, _style)


def _save_plan(plan: Plan, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as handle:
        json.dump(plan.to_json(saved=True), handle, indent=2)
        handle.write("\n")
    os.replace(handle.name, path)


def _read_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as handle:
            return Plan.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot use saved plan {path}: {exc}", hint="save a plan with `reconciler plan --out FILE`"
        ) from None


_change_options = [
    click.option("--prune", is_flag=True, help="Delete managed campaigns that no spec names."),
    click.option("--adopt", is_flag=True, help="Take over live campaigns of the same name."),
    click.option("--force", is_flag=True, help="Override the stop/delete safety threshold."),
]


def change_options(func: F) -> F:
    for option in reversed(_change_options):
        func = option(func)
    return func


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@change_options
@handled
def plan(
    paths: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    prune: bool,
    adopt: bool,
    force: bool,
) -> None:
    """Show what apply would change in the tenant (sends no change)."""
    loaded = load_specs(paths)
    target = current_target()
    warnings = [d.format() for d in loaded.diagnostics]

    async def run() -> Plan:
        async with connect(target) as client:
            return await make_plan(
                client, loaded.campaigns, target=target.label, prune=prune, adopt=adopt, warnings=warnings
            )

    result = asyncio.run(run())
    click.echo(_render_plan(result, fmt))
    if out:
        _save_plan(result, out)
        click.echo(f"Saved the plan to {out}; apply it with `reconciler apply --plan {out}`.", err=True)
    check_safety(result, force=force)
    sys.exit(2 if detailed_exitcode and result.has_changes else 0)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Execute a saved plan."
)
@click.option("--auto-approve", is_flag=True, help="Apply without asking (CI).")
@click.option(
    "--concurrency",
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    type=click.IntRange(1, 64),
    help="API calls in flight at once.",
)
@change_options
@handled
def apply(
    paths: tuple[str, ...],
    plan_file: str | None,
    auto_approve: bool,
    concurrency: int,
    prune: bool,
    adopt: bool,
    force: bool,
) -> None:
    """Make the tenant match the specs (or execute a saved plan)."""
    if plan_file and paths:
        raise ConfigError("--plan executes a saved plan and takes no spec paths", hint="drop the paths")
    saved = _read_plan(plan_file) if plan_file else None
    loaded = None if saved else load_specs(paths)
    target = current_target()
    interactive = sys.stdin.isatty()

    traffic: dict[str, int] = {}

    async def run() -> list[Outcome] | None:
        async with connect(target) as client:
            try:
                return await plan_and_apply(client)
            finally:
                traffic["requests"] = sum(client.sent.values())
                traffic["rate_limited"] = client.rate_limited

    async def plan_and_apply(client: CxoneClient) -> list[Outcome] | None:
        if saved is not None:
            await check_fresh(client, saved, target=target.label)
            todo = saved
        else:
            assert loaded is not None
            todo = await make_plan(
                client,
                loaded.campaigns,
                target=target.label,
                prune=prune,
                adopt=adopt,
                warnings=[d.format() for d in loaded.diagnostics],
            )
        click.echo(render.render_text(todo, _style))
        check_safety(todo, force=force)
        if not todo.has_changes:
            return []
        if not auto_approve:
            if not interactive:
                raise ConfigError(
                    "no terminal to confirm on, and --auto-approve was not given: nothing was changed",
                    hint="review the plan above, then run again with --auto-approve",
                )
            if not click.confirm(f"\nApply these changes to {target.label}?", default=False):
                return None
        return await _execute(client, todo, concurrency)

    outcomes = asyncio.run(run())
    if outcomes is None:
        click.echo("Apply cancelled; nothing was changed.")
        sys.exit(1)
    click.echo("")
    click.echo(render.render_outcomes(outcomes, target.label, **traffic))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


async def _execute(client: CxoneClient, plan: Plan, concurrency: int) -> list[Outcome]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def interrupted(signame: str) -> None:
        if not stop.is_set():
            click.echo(
                f"\n{signame}: starting nothing new; finishing what is in flight (5 s at most)", err=True
            )
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupted, sig.name)

    click.echo("")
    try:
        with ApplyProgress(len(plan.changes), live=sys.stdout.isatty()) as shown:
            executor = Executor(
                client,
                plan,
                runtime=client.runtime,
                concurrency=concurrency,
                stop=stop,
                progress=shown.step,
                on_finish=shown.finished,
            )
            return await executor.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


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
            click.echo(_decision_line(d))
        if not decisions:
            click.echo("No managed RUNNING campaign with adaptivePacing.")
        return

    def report(entry: dict[str, Any]) -> None:
        if fmt == "json":
            click.echo(json.dumps({"time": _now(), **entry}))
        else:
            click.echo(f"{_now()} {_decision_line(entry)}")

    async def forever() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
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


def _decision_line(entry: dict[str, Any]) -> str:
    if "skipped" in entry:
        return f"{entry['name']}: skipped: {entry['skipped']}"
    before, after = entry["from"]["callsPerMinute"], entry["to"]["callsPerMinute"]
    move = f"{before} -> {after} calls/min" if before != after else f"{before} calls/min"
    if entry["from"]["maxConcurrent"] != entry["to"]["maxConcurrent"]:
        move += f", maxConcurrent {entry['from']['maxConcurrent']} -> {entry['to']['maxConcurrent']}"
    state = "applied" if entry["applied"] else "unchanged" if entry["from"] == entry["to"] else "not applied"
    return f"{entry['name']}: {move} [{state}]: {entry['reason']}"


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
