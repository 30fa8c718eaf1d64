"""`reconciler emulator`: serve the bundled CXone emulator over HTTP."""

from __future__ import annotations

import contextlib
import errno
import socket
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.base import handled, is_loopback, main
from reconciler.errors import ConfigError
from reconciler.settings import ALL_SCOPES

if TYPE_CHECKING:  # the server stack is imported only when the command runs
    from reconciler.emulator.acd import Quirks
    from reconciler.emulator.dialer import DialerModel
    from reconciler.emulator.server import AsgiApp

# The emulator's server stack (starlette, uvicorn) is imported when the command
# runs, so that every other command starts without it.
SCOPES = tuple(ALL_SCOPES.split())


def _parse_client(value: str) -> tuple[str, str, tuple[str, ...]]:
    client_id, _, rest = value.partition(":")
    secret, _, scopes = rest.partition(":")
    if not client_id or not secret:
        raise click.BadParameter(f"expected ID:SECRET[:scope,scope...], got {value!r}")
    granted = tuple(s for s in scopes.replace(",", " ").split() if s) or SCOPES
    unknown = [s for s in granted if s not in SCOPES]
    if unknown:
        raise click.BadParameter(f"unknown scope(s) {', '.join(unknown)}; known: {' '.join(SCOPES)}")
    return client_id, secret, granted


def _parse_fail_start(value: str) -> tuple[str, str]:
    pattern, _, code = value.partition("=")
    return pattern, code or "DIALER_SESSION_FAILURE"


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port: choose one from 1 to 65535")


def _check_db(db: str) -> None:
    """The state file's folder must exist (never created here); the file must not be a folder."""
    path = Path(db)
    if path.is_dir():
        raise ConfigError(f"--db {db} is a folder: give a file to keep state in, e.g. {path / 'emulator.db'}")
    parent = path.parent
    if not parent.exists():
        raise ConfigError(f"--db {db}: folder {parent} does not exist; create it or choose another path")
    if not parent.is_dir():
        raise ConfigError(f"--db {db}: {parent} is not a folder; choose another path")


def _listen(host: str, port: int) -> socket.socket:
    from reconciler.emulator.server import listen

    try:
        return listen(host, port)
    except socket.gaierror:
        raise ConfigError(f"--host {host} is not an address of this machine; try 127.0.0.1") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use: stop what listens there or choose another --port"
            ) from None
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error.strerror or error}): choose another --host or --port"
        ) from None


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)


QUIRK_SWITCHES = (
    "batch-item-failure",
    "create-omits-id",
    "list-lag",
    "seven-day-schedule",
    "string-totals",
    "result-set",
    "empty-204",
    "run-delay",
    "repeat-start-409",
    "upload-starts-skill",
    "require-accept",
    "tenant-dnc-default",
)
"""The ACD emulator's quirks that ``--no-quirk`` switches off (cxone-acd.md section 9)."""
CAMPAIGNS_ONLY = (
    "seed_file",
    "clients",
    "latency",
    "error_rate",
    "rate_limit",
    "queued",
    "initializing",
    "stopping",
    "fail_start",
    "broken",
    "lose_nth",
)
ACD_ONLY = ("no_quirk", "throttle_every", "revoke_every")


def _acd_quirks(no_quirk: tuple[str, ...], throttle_every: int, revoke_every: int) -> Quirks:
    import dataclasses

    from reconciler.emulator.acd import Quirks

    off: dict[str, Any] = {}
    for name in no_quirk:
        field = name.replace("-", "_")
        default = getattr(Quirks(), field)
        off[field] = 0 if isinstance(default, int | float) and not isinstance(default, bool) else False
    return dataclasses.replace(Quirks(), throttle_every=throttle_every, revoke_every=revoke_every, **off)


def _serve_acd(
    host: str, port: int, db: str | None, token_lifetime: int, quirks: Quirks, dialer: DialerModel
) -> tuple[AsgiApp, list[str]]:
    """The ACD flavour, and the lines that tell a shell how to point the reconciler at it."""
    from reconciler.emulator.acd import DEMO_KEY, DEMO_SECRET, build_acd

    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    try:
        instance = build_acd(
            db or ":memory:", quirks=quirks, dialer=dialer, base_url=url, token_lifetime=token_lifetime
        )
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(
            f"--db {db} cannot hold the ACD emulator's state ({error}): "
            "give a new file or a writable ACD emulator state file"
        ) from None
    lines = [
        f"CXone ACD emulator on {url}  (state: {db or 'in memory'}; contract: {url}/openapi.yaml)",
        f"  export CXONE_PROVIDER=cxone-acd CXONE_AUTH_BASE={url}",
        f"  export CXONE_ACCESS_KEY_ID={DEMO_KEY} CXONE_ACCESS_KEY_SECRET={DEMO_SECRET}",
        "  export CXONE_ACD_TENANT_DNC_GROUP=Tenant-DNC",
        "  (demo access key of the emulator, not a secret; Ctrl-C stops it)",
    ]
    return instance, lines


@main.command()
@click.option(
    "--flavor",
    type=click.Choice(["campaigns", "acd"]),
    default="campaigns",
    show_default=True,
    help="campaigns: the tutorial's Campaigns API (provider cxone-campaigns); acd: the CXone Admin (ACD) "
    "API v34 with its quirks, all on (provider cxone-acd).",
)
@click.option(
    "--no-quirk",
    multiple=True,
    type=click.Choice(QUIRK_SWITCHES),
    help="With --flavor acd: switch this quirk of the real API off. Repeatable.",
)
@click.option(
    "--throttle-every",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    metavar="N",
    help="With --flavor acd: every Nth API request answers 429 (0 = off).",
)
@click.option(
    "--revoke-every",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    metavar="N",
    help="With --flavor acd: every Nth API request finds its token expired early, 401 (0 = off).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--db", type=click.Path(), help="SQLite file to keep state in; its folder must exist (default: memory)."
)
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
@click.option(
    "--lose-responses",
    "lose_nth",
    type=click.IntRange(1),
    metavar="NTH",
    help="Carry out the NTH write (POST/PATCH/DELETE under /api, start and stop included, counted from 1), "
    "then lose its answer: commit, then lose the response.",
)
@click.option(
    "--lose-every",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    metavar="K",
    help="With --lose-responses: also lose the answer of every Kth write after the NTH (0 = only the NTH).",
)
@click.option(
    "--lose-as",
    type=click.Choice(["504", "drop"]),
    default="504",
    show_default=True,
    help="With --lose-responses: answer 504 UPSTREAM_UNAVAILABLE, or drop the connection unanswered.",
)
@click.option(
    "--lose-only",
    default="* /api/*",
    show_default=True,
    metavar="'METHOD PATH_PATTERN'",
    help="With --lose-responses: count only the writes matching this pattern, "
    "e.g. 'POST /api/campaigns/*/start'.",
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
    flavor: str,
    no_quirk: tuple[str, ...],
    throttle_every: int,
    revoke_every: int,
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
    lose_nth: int | None,
    lose_every: int,
    lose_as: str,
    lose_only: str,
    dialer_seed: int,
    dialer_speed: float,
) -> None:
    """Serve the bundled CXone emulator over HTTP (Ctrl-C stops it)."""
    ctx = click.get_current_context()
    _check_port(port)
    if db:
        _check_db(db)
    if flavor == "acd":
        given = [f"--{n.replace('_', '-')}" for n in CAMPAIGNS_ONLY if _given(ctx, n)]
        if given:
            raise click.UsageError(f"{', '.join(given)} only apply to --flavor campaigns")
        from reconciler.emulator.dialer import DialerModel

        quirks = _acd_quirks(no_quirk, throttle_every, revoke_every)
        dialer = DialerModel(seed=dialer_seed, speed=dialer_speed)
        instance, lines = _serve_acd(host, port, db, token_lifetime, quirks, dialer)
        _run(instance, host, port, lines)
        return
    given = [f"--{n.replace('_', '-')}" for n in ACD_ONLY if _given(ctx, n)]
    if given:
        raise click.UsageError(f"{', '.join(given)} only apply to --flavor acd")
    if lose_nth is None:
        given = [f"--{n.replace('_', '-')}" for n in ("lose_every", "lose_as", "lose_only") if _given(ctx, n)]
        if given:
            raise click.UsageError(f"{', '.join(given)} needs --lose-responses NTH (the first write to lose)")
    from reconciler.emulator.app import DEMO_CLIENT, ApiClient
    from reconciler.emulator.app import build as build_emulator
    from reconciler.emulator.dialer import DialerModel
    from reconciler.emulator.faults import FailStart, Faults, LoseResponses
    from reconciler.emulator.seed import load_seed
    from reconciler.emulator.store import Lifecycle

    extra = tuple(ApiClient(*_parse_client(c)) for c in clients)
    faults = Faults(
        latency=latency,
        error_rate=error_rate,
        rate_limit=rate_limit,
        fail_start=tuple(FailStart(*_parse_fail_start(f)) for f in fail_start),
        broken=broken,
        lose_responses=LoseResponses(
            nth=lose_nth, every=lose_every, mode="drop" if lose_as == "drop" else "504", requests=lose_only
        )
        if lose_nth
        else None,
    )
    seed = load_seed(Path(seed_file)) if seed_file else None
    try:
        instance = build_emulator(
            db or ":memory:",
            clients=(DEMO_CLIENT, *extra),
            token_lifetime=token_lifetime,
            lifecycle=Lifecycle(queued=queued, initializing=initializing, stopping=stopping),
            dialer=DialerModel(seed=dialer_seed, speed=dialer_speed),
            faults=faults,
            seed=seed,
        )
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(
            f"--db {db} cannot hold the emulator's state ({error}): "
            "give a new file or a writable emulator state file"
        ) from None
    shown = f"[{host}]" if ":" in host else host
    lines = [
        f"CXone emulator on http://{shown}:{port}  (state: {db or 'in memory'})",
        f"  export CXONE_API_BASE=http://{shown}:{port}",
        f"  export CXONE_CLIENT_ID={DEMO_CLIENT.client_id} CXONE_CLIENT_SECRET={DEMO_CLIENT.secret}",
        "  (demo credentials of the emulator, not a secret; Ctrl-C stops it)",
    ]
    _run(instance, host, port, lines)


def _run(app: AsgiApp, host: str, port: int, lines: list[str]) -> None:
    """Listen, say how to use it, serve until Ctrl-C."""
    from reconciler.emulator.server import server

    sock = _listen(host, port)
    for line in lines:
        click.echo(line)
    if not is_loopback(host):
        click.secho(
            f"warning: listening on {host}, beyond loopback: anyone who can reach it can use the "
            "published demo credentials",
            fg="yellow",
            err=True,
        )
    verbose = click.get_current_context().find_root().obj.get("verbose")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how an emulator is meant to stop
        server(app, host, port, log_level="info" if verbose else "warning").run(sockets=[sock])
    click.echo("emulator stopped")
