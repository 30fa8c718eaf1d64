"""JSON Schema of a campaign spec, generated from the models.

``python -m reconciler.spec.schema > schemas/campaign.schema.json`` (or
``make schema``) regenerates the file; a test fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.spec.models import Campaign

SCHEMA_ID = "https://cxone-reconciler.dev/schemas/campaign.schema.json"


def campaign_schema() -> dict[str, Any]:
    schema = Campaign.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render() -> str:
    return json.dumps(campaign_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
