"""Public modules say what they export: ``__all__`` lists every public name they define, and only those."""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = (
    "reconciler.tenant",
    "reconciler.runtime",
    "reconciler.providers.campaigns",
    "reconciler.engine.diff",
    "reconciler.engine.plan",
    "reconciler.engine.outcome",
    "reconciler.engine.waiter",
    "reconciler.engine.apply",
    "reconciler.engine.reconcile",
    "reconciler.engine.references",
    "reconciler.engine.render",
    "reconciler.engine.risks",
    "reconciler.escape",
    "reconciler.pacer",
    "reconciler.performance",
    "reconciler.summary",
)


@pytest.mark.parametrize("name", PUBLIC)
def test_all_lists_exactly_the_public_names_a_module_defines(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what it does not have: {missing}"
    defined = sorted(
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == name
    )
    unlisted = [n for n in defined if n not in exported]
    assert unlisted == [], f"{name} defines public names missing from __all__: {unlisted}"
