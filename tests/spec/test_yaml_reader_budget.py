"""The reader's budget: an alias's copy counts against the file, a fresh node against its document."""

from __future__ import annotations

import yaml

from reconciler.spec.yaml_reader import Limits, _Budget


def test_a_node_seen_in_an_earlier_document_is_not_an_alias_copy() -> None:
    # a later document's node may get the id of an earlier one's freed node
    budget = _Budget(Limits())
    node = yaml.ScalarNode("tag:yaml.org,2002:str", "x")
    budget.next_document()
    budget.spend(node)
    budget.next_document()
    budget.spend(node)
    assert (budget.document, budget.expanded) == (1, 0)
    budget.spend(node)  # seen again in this document: an alias's copy
    assert (budget.document, budget.expanded) == (1, 1)
