"""`reconciler export`: live campaigns written as spec files; `--verify` plans them against what was read."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.base import current_target, handled, main, style, tenant_session
from reconciler.engine import export as exporting
from reconciler.engine.diff import Desired, diff
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.escape import visible
from reconciler.settings import Target
from reconciler.spec import writer
from reconciler.spec.loader import load
from reconciler.spec.models import MANAGED_BY_KEY
from reconciler.tenant import Action, LiveCampaign

__all__ = ["export", "schema_reference"]

SCHEMA_FILE = Path("schemas") / "campaign.schema.json"


def schema_reference(directory: Path) -> str:
    """The modeline's schema path: relative to the repository's schema when DIR is inside the repository."""
    here = directory.resolve()
    for folder in (here, *here.parents):
        if (folder / SCHEMA_FILE).is_file():
            return Path(os.path.relpath(folder / SCHEMA_FILE, here)).as_posix()
        if (folder / ".git").exists():
            break
    return writer.DEFAULT_SCHEMA


@dataclass(frozen=True)
class Written:
    name: str
    path: Path
    outcome: str
    """written, overwritten, unchanged or kept."""


def _write(path: Path, text: str, *, force: bool) -> str:
    data = text.encode("utf-8")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            return "kept"
        if path.read_bytes() == data:
            return "unchanged"
        if not force:
            return "kept"
        outcome = "overwritten"
    else:
        outcome = "written"
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return outcome


def _select(live: list[LiveCampaign], globs: tuple[str, ...], everything: bool) -> list[LiveCampaign]:
    chosen = exporting.select(live, globs, everything=everything)
    if chosen.unmatched:
        raise ConfigError(
            "no live campaign matches --name " + ", ".join(repr(g) for g in chosen.unmatched),
            hint="names are case-sensitive globs (* ? [abc]); `reconciler drift` lists what is managed",
        )
    if chosen.only_unowned:
        raise ConfigError(
            "--name " + ", ".join(repr(g) for g in chosen.only_unowned) + " matches only campaigns "
            "not managed by cxone-reconciler",
            hint="pass --all to export them too (applying their files then needs --adopt)",
        )
    return list(chosen.campaigns)


_OUTCOME_COLOUR = {"written": "green", "overwritten": "yellow", "unchanged": "white", "kept": "yellow"}


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="campaigns",
    show_default=True,
    help="Folder to write the spec files in.",
)
@click.option("--name", "globs", multiple=True, metavar="GLOB", help="Only campaigns whose name matches.")
@click.option("--all", "everything", is_flag=True, help="Also campaigns not managed by cxone-reconciler.")
@click.option("--force", is_flag=True, help="Overwrite existing files that differ.")
@click.option("--verify", is_flag=True, help="Then plan the files against what was read; fail unless empty.")
@handled
def export(out: str, globs: tuple[str, ...], everything: bool, force: bool, verify: bool) -> None:
    """Write live campaigns as spec files, one per campaign (owned ones unless --all)."""
    target = current_target()
    directory = Path(out)

    async def read() -> list[LiveCampaign]:
        async with tenant_session(target) as tenant:
            return await tenant.campaigns()

    live = asyncio.run(read())
    chosen = _select(live, globs, everything)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        schema = schema_reference(directory)
        names = exporting.file_names(c.name for c in chosen)
        results = []
        for campaign in chosen:
            path = directory / names[campaign.name]
            text = writer.dump(exporting.document(campaign), schema=schema)
            results.append(Written(campaign.name, path, _write(path, text, force=force)))
    except OSError as exc:
        raise ConfigError(
            f"cannot write spec files in {directory}: {exc.strerror or exc}",
            hint="choose a writable folder with --out",
        ) from None
    _report(target, directory, chosen, results)
    if verify:
        _verify(live, chosen, results, target.provider)


def _report(target: Target, directory: Path, chosen: list[LiveCampaign], results: list[Written]) -> None:
    click.echo(f"Target: {visible(target.label)}")
    click.echo("")
    for r in results:
        click.echo(style(f"  {r.outcome:<11} {visible(str(r.path))}", _OUTCOME_COLOUR[r.outcome]))
    problems = [
        (c.name, p)
        for c in chosen
        for p in exporting.inexpressible(c, exporting.document(c), target.provider)
    ]
    if problems:
        click.echo("")
        click.echo(style("Written as the tenant holds them, but the spec cannot express:", "yellow"))
        for name, problem in problems:
            click.echo(style(f"  ! {visible(name)}: {visible(problem)}", "yellow"))
        click.echo(
            "  `reconciler validate` flags these files: change the campaign in CXone, or edit the file "
            "(for calling hours, add spec.complianceOptOuts.callingHours.reason) before applying it."
        )
    counts = {
        o: sum(r.outcome == o for r in results) for o in ("written", "overwritten", "unchanged", "kept")
    }
    click.echo("")
    click.echo(
        f"Exported {len(results)} campaign(s) to {visible(str(directory))}: "
        + ", ".join(f"{n} {o}" for o, n in counts.items())
        + "."
    )
    if counts["kept"]:
        click.echo(style("Kept files differ from the tenant; --force overwrites them.", "yellow"))


def _verify(
    live: list[LiveCampaign], chosen: list[LiveCampaign], results: list[Written], provider: str
) -> None:
    """Plan the exported campaigns' files against the live state already read (no new request)."""
    loaded = load([str(r.path) for r in results], provider=provider)
    differences = [d.format() for d in loaded.errors]
    declared = {c.name for c in loaded.campaigns}
    for r in results:
        if r.name not in declared:
            differences.append(f"{r.path}: does not declare {r.name}")
    involved = {c.name for c in chosen} | declared
    plan = diff(
        [Desired.from_spec(c.campaign) for c in loaded.campaigns],
        [c for c in live if c.name in involved],
        target="export",
        adopt=True,
    )
    for change in plan.changes:
        actions = [a for a in change.actions if a is not Action.ADOPT]
        fields = [f for f in change.fields if f.path != f"labels.{MANAGED_BY_KEY}"]
        if actions or fields:
            differences.append(f"{change.name}: {', '.join(actions) or 'update'}")
            differences += [f"    {f.path}: file {f.after!r}, live {f.before!r}" for f in fields]
    click.echo("")
    if differences:
        click.echo(style("Verify: the files do not describe the tenant exactly:", "red"))
        click.echo("\n".join(f"  {visible(d)}" for d in differences))
        raise ReconcilerError(
            "verify failed: planning the exported files against the tenant is not empty",
            hint="kept files differ (--force overwrites them); otherwise fix what is listed above",
        )
    adopting = sum(not c.owned for c in chosen)
    click.echo(
        style(f"Verified: plan on the {len(results)} exported file(s) finds nothing to do.", "green")
        + (f" {adopting} of them are not managed yet: applying them needs --adopt." if adopting else "")
    )
