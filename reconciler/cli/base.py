"""The `reconciler` command group and what its commands share: errors, specs, target."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import click

from reconciler.errors import ReconcilerError, SpecError
from reconciler.runtime import Runtime
from reconciler.session import open_tenant
from reconciler.settings import Target, from_env
from reconciler.spec.loader import LoadResult, load
from reconciler.tenant import Tenant

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PATHS = ("campaigns",)
EX_USAGE = 64
"""Exit code of a usage error (sysexits.h EX_USAGE); 2 stays "the plan has changes"."""


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
    """Turn every error into a message and an exit code; never a traceback (unless -v)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReconcilerError as error:
            fail(error)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise  # click reports these itself (usage errors exit EX_USAGE: see Group)
        except Exception as error:  # a bug: say so plainly, keep the details for -v
            click.secho(f"error: unexpected {type(error).__name__}: {error}", fg="red", err=True)
            if _verbose():
                click.echo("".join(traceback.format_exception(error)), err=True)
            else:
                click.echo("hint: this is a bug in cxone-reconciler; rerun with -v and report it", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class _Trace(logging.Handler):
    """HTTP trace lines to the current stderr (redacted at the source: no headers, no bodies)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"http: {record.getMessage()}", err=True)


_TRACE = _Trace()


def _verbose() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and (context.find_root().obj or {}).get("verbose"))


def _exits_ex_usage(error: click.UsageError) -> None:
    # click declares exit_code a ClassVar, but main() exits with the instance's value;
    # setting it keeps the error's type and its own show() (message, usage line, hint).
    error.exit_code = EX_USAGE  # type: ignore[misc]


class Group(click.Group):
    """The command group; a usage error of any command exits ``EX_USAGE``, never 2.

    click exits 2 on a usage error, which ``plan --detailed-exitcode`` uses for
    "the plan has changes": a typo in CI would read as a plan with changes.
    Parsing the group's and every command's arguments happens in ``make_context``
    (the group's) and ``invoke`` (the commands'); a ``click.BadParameter`` raised
    while a command runs also passes through ``invoke``. click's own message is kept.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            _exits_ex_usage(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            _exits_ex_usage(error)
            raise


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Trace HTTP calls (redacted) on stderr.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=None,
    help="Most requests per second to the CXone API (default $CXONE_RATE_LIMIT, else none: "
    "start at 20 and find the tenant's limit); 0 = off.",
)
@click.option(
    "--no-adaptive",
    is_flag=True,
    help="Pin the rate at --rate-limit (default 20) instead of raising it until the API answers 429.",
)
@click.option("--api-base", metavar="URL", help="Overrides CXONE_API_BASE.")
@click.option(
    "--client-id", metavar="ID", help="Overrides CXONE_CLIENT_ID (the secret stays in CXONE_CLIENT_SECRET)."
)
@click.option("--token-url", metavar="URL", help="Overrides CXONE_TOKEN_URL.")
@click.option("--scope", metavar="SCOPES", help="Overrides CXONE_SCOPE (space-separated).")
@click.version_option(package_name="cxone-reconciler")
@click.pass_context
def main(
    ctx: click.Context,
    verbose: bool,
    rate_limit: float | None,
    no_adaptive: bool,
    api_base: str | None,
    client_id: str | None,
    token_url: str | None,
    scope: str | None,
) -> None:
    """Campaigns as code for NICE CXone outbound dialing.

    With CXONE_API_BASE, CXONE_CLIENT_ID and CXONE_CLIENT_SECRET set, commands act on
    that tenant; without CXONE_API_BASE, on the embedded sandbox (.reconciler/sandbox.db).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["rate_limit"] = rate_limit
    ctx.obj["adaptive"] = not no_adaptive
    flags = {
        "CXONE_API_BASE": api_base,
        "CXONE_CLIENT_ID": client_id,
        "CXONE_TOKEN_URL": token_url,
        "CXONE_SCOPE": scope,
    }
    ctx.obj["overrides"] = {name: value for name, value in flags.items() if value is not None}
    http_log = logging.getLogger("reconciler.http")
    if _TRACE not in http_log.handlers:
        http_log.addHandler(_TRACE)
    http_log.setLevel(logging.DEBUG if verbose else logging.WARNING)


def _obj() -> dict[str, Any]:
    obj: dict[str, Any] = click.get_current_context().find_root().obj or {}
    return obj


def tenant_session(target: Target) -> AbstractAsyncContextManager[Tenant]:
    """The target's tenant for one command; tests inject ``open_tenant`` (and ``runtime``) via ``obj``."""
    opener: Callable[..., AbstractAsyncContextManager[Tenant]] = _obj().get("open_tenant", open_tenant)
    return opener(target, runtime=current_runtime())


def current_runtime() -> Runtime:
    runtime: Runtime = _obj().get("runtime") or Runtime()
    return runtime


def current_target() -> Target:
    obj = click.get_current_context().find_root().obj or {}
    env = {**os.environ, **obj.get("overrides", {})}
    return from_env(env, rate_limit=obj.get("rate_limit"), adaptive=obj.get("adaptive", True), strict=True)


def load_specs(paths: tuple[str, ...], *, echo_warnings: bool = True) -> LoadResult:
    """Load specs; errors raise SpecError, warnings go to stderr unless the caller shows them."""
    result = load(list(paths) or list(DEFAULT_PATHS))
    # The specs live until the command ends: the cycle collector need not scan them again
    # (10,000 specs made each of its full passes cost ~0.3 s in plan and apply).
    gc.freeze()
    if not result.valid:
        raise SpecError(
            f"{len(result.errors)} error(s) in the spec files; fix them and run again",
            result.diagnostics,
        )
    if echo_warnings:
        for warning in result.diagnostics:
            click.echo(warning.format(), err=True)
    return result


def format_option(renderers: Mapping[str, object], default: str) -> Callable[[F], F]:
    """``--format`` whose choices are the keys of ``renderers`` (the command looks its renderer up there)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(renderers)),
        default=default,
        show_default=True,
        help="Output format.",
    )


_change_options = [
    click.option("--prune", is_flag=True, help="Delete managed campaigns that no spec names."),
    click.option("--adopt", is_flag=True, help="Take over live campaigns of the same name."),
    click.option("--force", is_flag=True, help="Override the stop/delete safety threshold."),
]


def change_options(func: F) -> F:
    for option in reversed(_change_options):
        func = option(func)
    return func


@contextlib.contextmanager
def stop_on_signals(announce: Callable[[str], None] | None = None) -> Iterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (in a running event loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def received(signame: str) -> None:
        if announce is not None and not stop.is_set():
            announce(signame)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, received, sig.name)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
