"""Benchmark: a no-op `reconciler plan` over 10,000 owned campaigns in the sandbox.

Goal: no more requests than the list pages, one per distinct referenced list
and the token; under 5 s wall and under 300 MB peak RSS for the whole
command on the reference machine.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_validate import SPEC
from reconciler.emulator.app import build
from reconciler.engine.diff import Desired
from reconciler.engine.reconcile import make_plan
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.session import connect
from reconciler.settings import from_env
from reconciler.spec.loader import load

CAMPAIGNS = 10_000
SHARD = 100


def prepare(root: Path) -> None:
    specs = root / "campaigns"
    specs.mkdir()
    for shard in range(CAMPAIGNS // SHARD):
        docs = [SPEC.format(i=shard * SHARD + i, shard=shard) for i in range(SHARD)]
        (specs / f"shard-{shard}.yaml").write_text("---\n".join(docs))
    an_hour_ago = time.time() - 3600  # started long ago: RUNNING by now
    emulator = build(str(root / ".reconciler" / "sandbox.db"), clock=lambda: an_hour_ago)
    for loaded in load([str(specs)]).campaigns:
        definition = Desired.from_spec(loaded.campaign).definition
        row = emulator.store.create(definition.pop("name"), definition, None)
        emulator.store.start(row, None)
    emulator.store.close()


async def count_requests(root: Path) -> tuple[int, dict[str, int], int]:
    target = from_env({}, sandbox=root / ".reconciler" / "sandbox.db")
    specs = load([str(root / "campaigns")]).campaigns
    async with connect(target) as client:
        plan = await make_plan(CampaignsTenant(client), specs, target=target.label)
        return len(plan.changes), dict(client.sent), client.auth.token_requests


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prepare(root)
        changes, sent, tokens = asyncio.run(count_requests(root))
        pages = -(-CAMPAIGNS // 100)
        budget = pages + 1 + 1 + tokens  # list pages, 1 contact list, 1 DNC list, token
        total = sum(sent.values())
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode"],
            cwd=root,
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("CXONE_")},
        )
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    met = total <= budget and wall < 5 and peak < 300 and result.returncode == 0 and changes == 0
    print(
        f"no-op plan over {CAMPAIGNS} owned campaigns (sandbox): {changes} changes, {total} requests "
        f"{sent} (budget {budget}: {pages} pages + 2 lists + token); `reconciler plan` wall {wall:.2f} s, "
        f"peak RSS {peak:.0f} MB, exit {result.returncode}  "
        f"[goal <= budget, < 5 s, < 300 MB: {'ok' if met else 'MISSED'}]"
    )


if __name__ == "__main__":
    main()
