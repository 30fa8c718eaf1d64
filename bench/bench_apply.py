"""Benchmark: apply that creates and starts 60 campaigns against `reconciler emulator`, default settings.

The emulator runs in its own process over loopback with 20 ms latency, 1 s
start transitions (0.3 s QUEUED + 0.7 s INITIALIZING) and a 50 requests/s
limit it enforces with 429s. The reconciler is not told that limit: it runs
with its default settings and must find the budget by itself. Goals: wall
time at most 1.5 x the floor (requests / 50 per second + one start
transition), at most 2 % of requests answered 429, and at least 10 x faster
than a sequential create, start, poll loop written the way the tutorial does
it, timed in the same run (on a sample and scaled: it is linear by construction).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import demo_env, emulator_process

CAMPAIGNS = 60
SAMPLE = 5
SERVER_RATE = 50.0
TRANSITION = 1.0
"""Seconds from start to RUNNING on the emulator below: one start transition."""
FLAGS = ("--latency", "0.02", "--queued", "0.3", "--initializing", "0.7", "--rate-limit", "50")
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


@dataclass(frozen=True)
class Applied:
    wall: float
    requests: int
    limited: int
    summary: str
    stdout: str

    @property
    def floor(self) -> float:
        return self.requests / SERVER_RATE + TRANSITION

    @property
    def limited_share(self) -> float:
        return self.limited / self.requests if self.requests else 0.0

    def meets(self) -> bool:
        failed = " 0 failed" not in f" {self.summary}"
        return self.wall <= 1.5 * self.floor and self.limited_share <= 0.02 and not failed

    def line(self, campaigns: int) -> str:
        return (
            f"apply {campaigns} creates + starts (default settings): {self.wall:.1f} s for "
            f"{self.requests} requests = {self.wall / self.floor:.2f} x the floor of {self.floor:.1f} s "
            f"({self.requests}/{SERVER_RATE:.0f} + {TRANSITION:.0f} s); {self.limited} answered 429 "
            f"({self.limited_share:.1%}); {self.summary}"
        )


def write_specs(folder: Path, count: int) -> None:
    (folder / "bench.yaml").write_text("---\n".join(SPEC.format(i=i) for i in range(count)))


def reconciler_apply(url: str, specs: Path, *flags: str) -> Applied:
    """`reconciler [flags] apply --auto-approve specs` in a child process; its figures."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", *flags, "apply", "--auto-approve", str(specs)],
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
    summary = result.stdout.strip().splitlines()[-1]
    return Applied(wall, int(found.group(1)), int(found.group(2)), summary, result.stdout)


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


def run(campaigns: int, *flags: str) -> Applied:
    """One apply of ``campaigns`` creates + starts against a fresh emulator."""
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp)
        write_specs(specs, campaigns)
        with emulator_process(*FLAGS) as url:
            return reconciler_apply(url, specs, *flags)


def compare_with_tutorial(campaigns: int, applied: Applied) -> bool:
    """Time the tutorial's loop on a sample, in this run, and print the ratio; True if >= 10 x."""
    with emulator_process(*FLAGS) as url:
        sample = tutorial_loop(url, SAMPLE)
    sequential = sample * campaigns / SAMPLE
    ratio = sequential / applied.wall
    verdict = "ok" if ratio >= 10 else "MISSED"
    print(
        f"tutorial-style sequential loop: {sample:.1f} s for {SAMPLE}, so {sequential:.0f} s for "
        f"{campaigns}; apply is {ratio:.0f}x faster  [goal >= 10x: {verdict}]"
    )
    return ratio >= 10


def main() -> None:
    applied = run(CAMPAIGNS)
    verdict = "ok" if applied.meets() else "MISSED"
    print(f"{applied.line(CAMPAIGNS)}  [goals <= 1.5 x floor, <= 2 % 429, 0 failed: {verdict}]")
    compare_with_tutorial(CAMPAIGNS, applied)


if __name__ == "__main__":
    main()
