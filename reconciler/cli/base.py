"""The `reconciler` command group and what its commands share: errors, specs, target."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import click

from reconciler.errors import ConfigError, ReconcilerError, SpecError
from reconciler.runtime import Runtime
from reconciler.session import open_tenant
from reconciler.settings import DEFAULT_PROVIDER, Target, from_env
from reconciler.spec.loader import LoadResult, load, require_specs
from reconciler.targets import IMPLICIT_NAME, TARGETS_FILE, TargetSpec, find_target, load_targets, target_env
from reconciler.tenant import Tenant

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PATHS = ("campaigns",)
EX_USAGE = 64
"""Exit code of a usage error (sysexits.h EX_USAGE); 2 stays "the plan has changes"."""


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)[str(param.name)] = value


def target_options(func: F) -> F:
    """``--target`` and where the selected target's credentials are: kept in ``ctx.obj`` by callbacks."""
    options = [
        click.option(
            "--target",
            "target_name",
            metavar="NAME",
            envvar="RECONCILER_TARGET",
            expose_value=False,
            callback=_remember,
            help="The targets.yaml target to act on (its API, credentials and campaigns folder); "
            "default $RECONCILER_TARGET. Without targets.yaml the only target is 'default'.",
        ),
        click.option(
            "--client-id-env",
            "client_id_env",
            metavar="NAME",
            envvar="RECONCILER_CLIENT_ID_ENV",
            expose_value=False,
            callback=_remember,
            help="The environment variable holding the target's client id (instead of the one "
            "targets.yaml names; CI hands read-only and write-capable credentials over this way).",
        ),
        click.option(
            "--client-secret-env",
            "client_secret_env",
            metavar="NAME",
            envvar="RECONCILER_CLIENT_SECRET_ENV",
            expose_value=False,
            callback=_remember,
            help="The environment variable holding the target's client secret.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
@target_options
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
    """The target of this command: ``--target`` (or the CXONE_* variables), then the flag overrides."""
    obj = _obj()
    selected = selected_target()
    if selected is None and "target_name" not in obj and TARGETS_FILE.exists():
        raise ConfigError(
            f"{TARGETS_FILE} names the targets of this repository; pick one with --target NAME",
            hint="`reconciler targets` lists them (or set RECONCILER_TARGET)",
        )
    env = target_env(
        selected,
        os.environ,
        client_id_env=obj.get("client_id_env"),
        client_secret_env=obj.get("client_secret_env"),
    )
    return from_env(
        {**env, **obj.get("overrides", {})},
        rate_limit=obj.get("rate_limit"),
        adaptive=obj.get("adaptive", True),
        strict=True,
    )


def selected_target() -> TargetSpec | None:
    """The targets.yaml entry ``--target`` names; None for the implicit target (the CXONE_* variables)."""
    obj = _obj()
    name: str | None = obj.get("target_name")
    if name is None:
        return None
    cached = f"selected_target:{name}"
    if cached in obj:  # targets.yaml is read once per command
        known: TargetSpec = obj[cached]
        return known
    loaded = load_targets()
    if loaded is None:
        if name == IMPLICIT_NAME:
            return None
        raise ConfigError(
            f"no target {name!r}: there is no {TARGETS_FILE} here, so the only target is {IMPLICIT_NAME!r} "
            "(the CXONE_* variables, or the embedded sandbox)",
            hint=f"run from the repository root that holds {TARGETS_FILE}, or drop --target",
        )
    path, targets = loaded
    selected: TargetSpec = obj.setdefault(cached, find_target(targets, name, path))
    return selected


def current_provider() -> str:
    """The selected target's API (what specs must say), known without credentials or the network."""
    selected = selected_target()
    if selected is not None:
        return selected.provider or DEFAULT_PROVIDER
    obj = _obj()
    env = {**os.environ, **obj.get("overrides", {})}
    return (env.get("CXONE_PROVIDER") or DEFAULT_PROVIDER).strip()


def default_paths() -> list[str]:
    """Where specs are when no path is given: the selected target's campaigns folder, else campaigns/."""
    selected = selected_target()
    return [selected.campaigns] if selected is not None else list(DEFAULT_PATHS)


def load_specs(
    paths: tuple[str, ...], *, echo_warnings: bool = True, allow_empty: bool = False
) -> LoadResult:
    """Load specs; errors raise SpecError, warnings go to stderr unless the caller shows them.

    Paths that hold no campaign at all are an error (a wrong path far more often
    than an intent), unless ``allow_empty``.
    """
    defaults = default_paths()  # resolves --target even when paths are given: a typo is an error
    where = list(paths) or defaults
    # The specs live until the command ends: the cycle collector need not scan them again
    # (10,000 specs made each of its full passes cost ~0.3 s in plan and apply).
    result = load(where, provider=current_provider(), lasting=True)
    empty = require_specs(result, where, allow_empty=allow_empty)
    if empty is not None:
        result.diagnostics.append(empty)
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
    click.option(
        "--allow-empty",
        is_flag=True,
        help="Accept paths that hold no campaign spec (with --prune, deleting them all still needs --force).",
    ),
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
