"""`reconciler targets`: the tenants this repository manages (targets.yaml, or the one implicit target)."""

from __future__ import annotations

import json
import os

import click

from reconciler.cli.base import handled, main
from reconciler.targets import listing as targets_listing
from reconciler.targets import load_targets

__all__ = ["targets"]


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handled
def targets(fmt: str) -> None:
    """List the targets: targets.yaml's, or without it the CXONE_* variables (or the sandbox).

    `--format json` drives a CI matrix: per target its name, campaigns folder,
    the variables its credentials are read from and its GitHub environments
    (`environment`: protected, write-capable secrets; `readOnlyEnvironment`: read-only ones).
    """
    listing = targets_listing(load_targets(), os.environ)
    if fmt == "json":
        click.echo(json.dumps(listing, indent=2))
        return
    if listing["file"] is None:
        row = listing["targets"][0]
        where = row["apiBase"] or "the embedded sandbox (.reconciler/sandbox.db)"
        click.echo(f"{row['name']}: {where}  specs {row['campaigns']}/")
        click.echo("no targets.yaml: the one target is the CXONE_* variables (or the sandbox)")
        return
    for row in listing["targets"]:
        provider = f"  provider {row['provider']}" if row["provider"] else ""
        click.echo(
            f"{row['name']}: {row['apiBase']}  specs {row['campaigns']}/  "
            f"credentials ${row['clientIdEnv']} ${row['clientSecretEnv']}{provider}"
        )
    click.echo(f"{len(listing['targets'])} target(s) in {listing['file']}")
