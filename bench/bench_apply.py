"""Benchmark: apply that creates and starts 200 campaigns against `reconciler emulator`.

The emulator runs in its own process over loopback with 20 ms latency, 1 s
start transitions and a 50 requests/s limit. Goals: no 429, wall time at
most 1.5 x (requests / 50 per second), and at least 10 x faster than a
sequential create, start, poll loop written the way the tutorial does it
(timed on a sample and scaled: it is linear by construction).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import demo_env, emulator_process

CAMPAIGNS = 200
SAMPLE = 10
FLAGS = ("--latency", "0.02", "--queued", "0", "--initializing", "1", "--rate-limit", "50")
SPEC = """\
apiVersion: cxone.reconciler/v1
kind: Campaign
metadata: {{name: Bench-{i:04d}}}
spec:
  dialerType: PREDICTIVE
  contactListId: CL-839201-AJF2
  dnc: {{enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}}
  pacing: {{callsPerMinute: 10, maxConcurrent: 20}}
  state: running
  launch: {{pollInterval: 1s, pollJitter: 500ms, timeout: 2m}}
"""


def reconciler_apply(url: str, specs: Path) -> tuple[float, int, int, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--rate-limit", "50", "apply", "--auto-approve", str(specs)],
        capture_output=True,
        text=True,
        env={**os.environ, **demo_env(url)},
    )
    wall = time.perf_counter() - start
    found = re.search(r"(\d+) API requests sent, (\d+) answered 429", result.stdout)
    if result.returncode != 0 or found is None:
        raise SystemExit(
            f"apply failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return wall, int(found.group(1)), int(found.group(2)), result.stdout.strip().splitlines()[-1]


def tutorial_loop(url: str, count: int) -> float:
    """Create, start and poll one campaign after the other, as the tutorial's Go code does."""
    start = time.perf_counter()
    with httpx.Client(base_url=url, timeout=15) as http:
        body = "grant_type=client_credentials&client_id=demo&client_secret=demo-secret"
        token = http.post(
            "/oauth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        headers = {"Authorization": "Bearer " + token.json()["access_token"]}
        for i in range(count):
            created = http.post(
                "/api/campaigns",
                headers=headers,
                json={
                    "name": f"Tutorial-{i:03d}",
                    "dialerType": "PREDICTIVE",
                    "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
                    "contactListId": "CL-839201-AJF2",
                    "dnc": {"enforceNational": True, "enforceLocal": True},
                },
            ).json()
            http.post(f"/api/campaigns/{created['id']}/start", headers=headers)
            while True:
                response = http.get(f"/api/campaigns/{created['id']}", headers=headers)
                if response.status_code == 429:
                    time.sleep(float(response.headers.get("Retry-After", "5")))
                    continue
                if response.json()["status"] in ("RUNNING", "STOPPED", "ERROR"):
                    break
                time.sleep(3 + random.uniform(0, 2))  # the tutorial's base interval and jitter
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp)
        (specs / "bench.yaml").write_text("---\n".join(SPEC.format(i=i) for i in range(CAMPAIGNS)))
        with emulator_process(*FLAGS) as url:
            wall, requests, limited, summary = reconciler_apply(url, specs)
    bound = 1.5 * requests / 50
    with emulator_process(*FLAGS) as url:
        sample = tutorial_loop(url, SAMPLE)
    sequential = sample * CAMPAIGNS / SAMPLE
    ratio = sequential / wall
    verdict = "ok" if limited == 0 and wall <= bound and ratio >= 10 else "MISSED"
    print(
        f"apply {CAMPAIGNS} creates + starts: {wall:.1f} s, {requests} requests, {limited} answered 429 "
        f"(bound 1.5 x {requests}/50 = {bound:.1f} s); {summary}"
    )
    print(
        f"tutorial-style sequential loop: {sample:.1f} s for {SAMPLE}, "
        f"so {sequential:.0f} s for {CAMPAIGNS}; "
        f"apply is {ratio:.0f}x faster  [goals: no 429, <= bound, >= 10x: {verdict}]"
    )


if __name__ == "__main__":
    main()
