"""`reconciler serve`: the campaign control service; `reconciler serve token NAME`: mint a bearer token."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import httpx

from reconciler.cli.base import (
    DEFAULT_PATHS,
    current_runtime,
    current_target,
    handled,
    is_loopback,
    load_specs,
    main,
)
from reconciler.errors import ConfigError
from reconciler.service.auth import ROLES, Tokens, mint
from reconciler.session import open_tenant, sandbox_transport
from reconciler.settings import Target
from reconciler.spec.types import parse_duration
from reconciler.tenant import Tenant

if TYPE_CHECKING:  # the service stack (Starlette, uvicorn, Jinja2, metrics) loads only when serve runs
    from reconciler.service.runner import Wrap

DEFAULT_STATE = str(Path(".reconciler") / "serve.db")


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        seconds = parse_duration(value)
    except (ValueError, TypeError):
        raise click.BadParameter(f"{value!r} is not a duration like 30s, 5m or 1h") from None
    if seconds < 1:
        raise click.BadParameter("must be at least 1s")
    return seconds


@main.command(context_settings={"max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False), help="The tokens file (hashes).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--drift", type=click.Choice(["warn", "enforce"]), default="warn", show_default=True)
@click.option(
    "--sync-interval", default="5m", show_default=True, callback=_duration, help="Reconcile this often."
)
@click.option(
    "--state", "state_path", default=DEFAULT_STATE, show_default=True, type=click.Path(dir_okay=False)
)
@click.option(
    "--webhook-secret-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Secret of the GitHub push webhook (else $RECONCILER_WEBHOOK_SECRET).",
)
@click.option("--no-auth", is_flag=True, help="Serve without tokens (loopback only).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--role", type=click.Choice(ROLES), default=None, help="With `serve token NAME`: the new token's role."
)
@handled
def serve(
    paths: tuple[str, ...],
    tokens_file: str | None,
    host: str,
    port: int,
    drift: str,
    sync_interval: float,
    state_path: str,
    webhook_secret_file: str | None,
    no_auth: bool,
    log_format: str,
    role: str | None,
) -> None:
    """Run the campaign control service (control API, reconcile and pacing loops).

    `reconciler serve token NAME --role viewer|operator --tokens FILE` mints a
    token instead: it is printed once and only its hash is written to FILE.
    """
    if paths[:1] == ("token",):
        _token(paths[1:], role, tokens_file)
        return
    if role is not None:
        raise click.UsageError("--role belongs to `reconciler serve token NAME`")
    tokens = _auth(tokens_file, no_auth, host)
    load_specs(paths)  # refuse to start on invalid specs, with their diagnostics
    target = current_target()
    from reconciler.service import logs
    from reconciler.service.controller import Config
    from reconciler.service.runner import run

    config = Config(
        paths=paths or DEFAULT_PATHS,
        target=target.label,
        drift=drift,
        sync_interval=sync_interval,
        tokens=tokens,
        webhook_secret=_webhook_secret(webhook_secret_file),
    )
    logs.setup(log_format, target.label)
    runtime = current_runtime()

    asyncio.run(
        run(
            config,
            state_path=state_path,
            opener=lambda wrap: _open(target, wrap),
            host=host,
            port=port,
            runtime=runtime,
            announce=lambda line: click.echo(line, err=True),
        )
    )
    click.echo("serve stopped", err=True)


@asynccontextmanager
async def _open(target: Target, wrap: Wrap) -> AsyncIterator[Tenant]:
    inner = sandbox_transport(target) if target.sandbox is not None else httpx.AsyncHTTPTransport()
    async with open_tenant(target, transport=wrap(inner), runtime=current_runtime()) as tenant:
        yield tenant


def _token(args: tuple[str, ...], role: str | None, tokens_file: str | None) -> None:
    if len(args) != 1:
        raise click.UsageError("usage: reconciler serve token NAME --role viewer|operator --tokens FILE")
    if role is None or tokens_file is None:
        raise click.UsageError("serve token needs --role viewer|operator and --tokens FILE")
    token = mint(tokens_file, args[0], role)
    click.echo(token)
    click.echo(
        f"Minted {role} token {args[0]!r}; its hash is in {tokens_file}. It is shown only this once.",
        err=True,
    )


def _auth(tokens_file: str | None, no_auth: bool, host: str) -> Tokens | None:
    if no_auth:
        if tokens_file:
            raise ConfigError("--no-auth and --tokens contradict each other", hint="drop one of them")
        if not is_loopback(host):
            raise ConfigError(
                f"--no-auth serves only on loopback, and --host is {host}",
                hint="use --host 127.0.0.1, or mint tokens with `reconciler serve token`",
            )
        return None
    if not tokens_file:
        raise ConfigError(
            "refusing to serve without --tokens FILE",
            hint="mint one with `reconciler serve token NAME --role operator --tokens FILE` "
            "(or --no-auth on loopback)",
        )
    tokens = Tokens.load(tokens_file)
    if not tokens.entries:
        raise ConfigError(f"the tokens file {tokens_file} lists no token", hint="mint one with `serve token`")
    return tokens


def _webhook_secret(path: str | None) -> bytes | None:
    if path is not None:
        try:
            secret = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the webhook secret file {path}: {exc.strerror}") from None
        if not secret:
            raise ConfigError(f"the webhook secret file {path} is empty")
        return secret.encode()
    secret = os.environ.get("RECONCILER_WEBHOOK_SECRET", "").strip()
    return secret.encode() or None
