"""JSON Schema of a campaign spec, generated from the models.

``python -m reconciler.spec.schema > schemas/campaign.schema.json`` (or
``make schema``) regenerates the file; a test fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.spec.models import Campaign

SCHEMA_ID = "https://cxone-reconciler.dev/schemas/campaign.schema.json"


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _bounds(node: Any) -> Any:
    """Bounds pydantic leaves on an optional number (``ge``) as JSON Schema's (``minimum``)."""
    if isinstance(node, dict):
        typed = node.get("type") in ("integer", "number")
        return {(_BOUNDS[k] if typed and k in _BOUNDS else k): _bounds(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_bounds(v) for v in node]
    return node


def campaign_schema() -> dict[str, Any]:
    schema = _bounds(Campaign.model_json_schema(mode="validation"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render() -> str:
    return json.dumps(campaign_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
