"""The `reconciler` command: parse, build, call, render, exit code. No logic.

Each module registers its commands on the one group, ``main``.
"""

from reconciler.cli import emulator, engine, operate, serve, specs
from reconciler.cli.base import main

__all__ = ["emulator", "engine", "main", "operate", "serve", "specs"]
