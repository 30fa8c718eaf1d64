"""The `reconciler` command: parse, build, call, render, exit code. No logic.

Each module registers its commands on the one group, ``main``.
"""

from reconciler.cli import emulator, engine, github, operate, specs, targets
from reconciler.cli.base import main

__all__ = ["emulator", "engine", "github", "main", "operate", "specs", "targets"]
