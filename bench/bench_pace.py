"""Benchmark: one `reconciler pace` round over 500 running campaigns against `reconciler emulator`.

Goal: 500 realtime reads, one PATCH per change and one token request (plus
the pages of the campaign list that find the campaigns); report the wall time.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import demo_env, emulator_process
from reconciler.cxone.resilience import ResilienceConfig
from reconciler.session import connect
from reconciler.settings import from_env

CAMPAIGNS = 500
SPEC = """\
apiVersion: cxone.reconciler/v1
kind: Campaign
metadata: {{name: Paced-{i:03d}}}
spec:
  dialerType: PREDICTIVE
  contactListId: CL-839201-AJF2
  dnc: {{enforceNational: true, enforceLocal: true}}
  pacing: {{callsPerMinute: 10, maxConcurrent: 20}}
  state: running
  launch: {{pollInterval: 1s, pollJitter: 500ms, timeout: 2m}}
  adaptivePacing:
    cooldown: 0s
    minCallsPerMinute: 5
    maxCallsPerMinute: 25
    rules:
      - when: {{answerRate: {{gte: 0.35}}}}
        set: {{callsPerMinute: 25}}
      - when: {{answerRate: {{lt: 0.175}}}}
        set: {{callsPerMinute: 5}}
"""


async def counted_round(url: str, specs: Path) -> tuple[float, dict[str, int], int, int]:
    from reconciler.pacer import pace_round
    from reconciler.providers.campaigns import CampaignsTenant
    from reconciler.spec.loader import load

    target = from_env(demo_env(url))
    campaigns = [c.campaign for c in load([str(specs)]).campaigns]
    async with connect(target, config=ResilienceConfig(rate_per_second=0)) as client:
        start = time.perf_counter()
        decisions = await pace_round(CampaignsTenant(client), campaigns, dry_run=False, now=time.time)
        wall = time.perf_counter() - start
        changed = sum(d.applied for d in decisions)
        return wall, dict(client.sent), client.auth.token_requests, changed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp)
        (specs / "paced.yaml").write_text("---\n".join(SPEC.format(i=i) for i in range(CAMPAIGNS)))
        with emulator_process("--queued", "0", "--initializing", "0.5", "--dialer-speed", "60") as url:
            env = {**os.environ, **demo_env(url)}
            applied = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "reconciler",
                    "--rate-limit",
                    "0",
                    "apply",
                    "--auto-approve",
                    str(specs),
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            if applied.returncode != 0:
                raise SystemExit(f"apply failed:\n{applied.stdout[-3000:]}\n{applied.stderr[-2000:]}")
            wall, sent, tokens, changed = asyncio.run(counted_round(url, specs))
            start = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "reconciler",
                    "--rate-limit",
                    "0",
                    "pace",
                    "--format",
                    "json",
                    str(specs),
                ],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            command = time.perf_counter() - start
            second = json.loads(result.stdout)["decisions"]
    pages = -(-CAMPAIGNS // 100)
    expected = CAMPAIGNS + pages + changed  # realtime reads + list pages + one PATCH per change
    total_api = sent.get("GET", 0) + sent.get("PATCH", 0)
    verdict = "ok" if total_api == expected and tokens == 1 else "MISSED"
    print(
        f"pace round over {CAMPAIGNS} running campaigns: {wall:.2f} s; "
        f"requests {sent} = {CAMPAIGNS} realtime "
        f"+ {pages} list pages + {changed} PATCHes + {tokens} token  [goal: exactly that: {verdict}]"
    )
    print(f"`reconciler pace` command (a second round, {len(second)} decisions): {command:.2f} s wall")


if __name__ == "__main__":
    main()
