"""Saved plans: `plan --out FILE` writes one, `apply --plan FILE` reads it back."""

from __future__ import annotations

import json
import os
import tempfile

from reconciler.engine.plan import Plan
from reconciler.errors import ConfigError


def save(plan: Plan, path: str) -> None:
    """Written whole or not at all (a temporary file renamed into place)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as handle:
            json.dump(plan.to_json(saved=True), handle, indent=2)
            handle.write("\n")
        os.replace(handle.name, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot save the plan to {path}: {exc.strerror}", hint="choose a writable path"
        ) from None


def read(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as handle:
            return Plan.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot use saved plan {path}: {exc}", hint="save a plan with `reconciler plan --out FILE`"
        ) from None
