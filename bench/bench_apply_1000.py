"""Benchmark: apply that creates and starts 1,000 campaigns; every start must be reported truly.

Against `reconciler emulator` in its own process: 20 ms latency, 0.3 s QUEUED
plus 0.7 s INITIALIZING, 50 requests/s limit. With this many waiters the
executor reads statuses through the paginated list (10 pages a read), the
case where a page read before a start was acknowledged used to fail it.
Goals: 0 failed, exit 0, and a plan run afterwards has nothing to do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_apply import SPEC, reconciler_apply
from bench.common import demo_env, emulator_process

CAMPAIGNS = 1000
FLAGS = ("--latency", "0.02", "--queued", "0.3", "--initializing", "0.7", "--rate-limit", "50")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp)
        (specs / "bench.yaml").write_text("---\n".join(SPEC.format(i=i) for i in range(CAMPAIGNS)))
        with emulator_process(*FLAGS) as url:
            wall, requests, limited, summary = reconciler_apply(url, specs)
            replan = subprocess.run(
                [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode", str(specs)],
                capture_output=True,
                text=True,
                env={**os.environ, **demo_env(url)},
            )
    verdict = "ok" if replan.returncode == 0 and " 0 failed" in f" {summary}" else "MISSED"
    print(
        f"apply {CAMPAIGNS} creates + starts: {wall:.1f} s, {requests} requests, {limited} answered 429; "
        f"{summary}; plan afterwards exits {replan.returncode}  [goals: 0 failed, empty plan: {verdict}]"
    )


if __name__ == "__main__":
    main()
