"""The `reconciler` command: parse, build, call, render, exit code. No logic.

Each module registers its commands on the one group, ``main``.
"""

from reconciler.cli import doctor, drift, emulator, engine, export, github, operate, serve, specs, targets
from reconciler.cli.base import main

__all__ = [
    "doctor",
    "drift",
    "emulator",
    "engine",
    "export",
    "github",
    "main",
    "operate",
    "serve",
    "specs",
    "targets",
]
