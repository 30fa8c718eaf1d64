"""`reconciler plan` and `reconciler apply`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from functools import partial

import click

from reconciler import collector
from reconciler.cli.base import (
    change_options,
    current_runtime,
    current_target,
    handled,
    load_specs,
    main,
    stop_on_signals,
    style,
    tenant_session,
)
from reconciler.engine import render
from reconciler.engine import saved as saved_plan
from reconciler.engine.apply import DEFAULT_CONCURRENCY, Executor
from reconciler.engine.outcome import Outcome
from reconciler.engine.plan import Plan, check_safety
from reconciler.engine.reconcile import check_saved, make_plan
from reconciler.errors import ConfigError
from reconciler.progress import ApplyProgress
from reconciler.tenant import Tenant, Traffic

PLAN_FORMATS: dict[str, Callable[[Plan], str]] = {
    **render.PLAN_RENDERERS,
    "text": partial(render.render_text, style=style),
}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(list(PLAN_FORMATS)), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@change_options
@handled
def plan(
    paths: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    allow_empty: bool,
    prune: bool,
    adopt: bool,
    force: bool,
) -> None:
    """Show what apply would change in the tenant (sends no change)."""
    loaded = load_specs(paths, echo_warnings=False, allow_empty=allow_empty)
    target = current_target()
    warnings = [d.format() for d in loaded.diagnostics]

    async def run() -> Plan:
        async with tenant_session(target) as tenant:
            return await make_plan(
                tenant, loaded.campaigns, target=target.label, prune=prune, adopt=adopt, warnings=warnings
            )

    # a plan over 10,000 campaigns makes many objects and few cycles, and the command ends after it
    with collector.paused(freeze=True):
        result = asyncio.run(run())
        shown = PLAN_FORMATS[fmt](result)
    click.echo(shown)
    check_safety(result, force=force)  # a refused plan is shown, never saved
    if out:
        saved_plan.save(result, out)
        click.echo(f"Saved the plan to {out}; apply it with `reconciler apply --plan {out}`.", err=True)
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
    allow_empty: bool,
    prune: bool,
    adopt: bool,
    force: bool,
) -> None:
    """Make the tenant match the specs (or execute a saved plan)."""
    if plan_file and paths:
        raise click.UsageError("--plan executes a saved plan and takes no spec paths; drop the paths")
    saved = saved_plan.read(plan_file) if plan_file else None
    loaded = None if saved else load_specs(paths, echo_warnings=False, allow_empty=allow_empty)
    target = current_target()
    interactive = sys.stdin.isatty()
    traffic = Traffic()

    async def run() -> list[Outcome] | None:
        nonlocal traffic
        async with tenant_session(target) as tenant:
            try:
                return await plan_and_apply(tenant)
            finally:
                traffic = tenant.traffic

    async def plan_and_apply(tenant: Tenant) -> list[Outcome] | None:
        if saved is not None:
            todo = await check_saved(tenant, saved, target=target.label, force=force)  # every guard
        elif loaded is not None:
            todo = await make_plan(
                tenant,
                loaded.campaigns,
                target=target.label,
                prune=prune,
                adopt=adopt,
                warnings=[d.format() for d in loaded.diagnostics],
            )
            check_safety(todo, force=force)
        else:
            raise ConfigError("apply needs spec paths or --plan FILE", hint="see reconciler apply --help")
        click.echo(render.render_text(todo, style))
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
        return await _execute(tenant, todo, concurrency)

    outcomes = asyncio.run(run())
    if outcomes is None:
        click.echo("Apply cancelled; nothing was changed.")
        sys.exit(1)
    click.echo("")
    click.echo(
        render.render_outcomes(
            outcomes, target.label, requests=traffic.requests, rate_limited=traffic.rate_limited
        )
    )
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


async def _execute(tenant: Tenant, plan: Plan, concurrency: int) -> list[Outcome]:
    def announce(signame: str) -> None:
        click.echo(f"\n{signame}: starting nothing new; finishing what is in flight (5 s at most)", err=True)

    click.echo("")
    with (
        stop_on_signals(announce) as stop,
        ApplyProgress(len(plan.changes), live=sys.stdout.isatty()) as shown,
    ):
        executor = Executor(
            tenant,
            plan,
            runtime=current_runtime(),
            concurrency=concurrency,
            stop=stop,
            progress=shown.step,
            on_finish=shown.finished,
        )
        return await executor.run()
