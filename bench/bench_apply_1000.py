"""Benchmark: apply that creates and starts 1,000 campaigns, default settings; every start reported truly.

Against `reconciler emulator` in its own process: 20 ms latency, 0.3 s QUEUED
plus 0.7 s INITIALIZING, 50 requests/s limit, which the reconciler is not
told. With this many waiters the executor reads statuses through the
paginated list (10 pages a read), the case where a page read before a start
was acknowledged used to fail it. Goals: at most 1.5 x the floor (requests /
50 per second + one start transition), at most 2 % of requests answered 429,
0 failed, a plan run afterwards has nothing to do, and at least 10 x faster
than the tutorial's sequential loop timed in the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_apply import FLAGS, compare_with_tutorial, reconciler_apply, write_specs
from bench.common import demo_env, emulator_process

CAMPAIGNS = 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp)
        write_specs(specs, CAMPAIGNS)
        with emulator_process(*FLAGS) as url:
            applied = reconciler_apply(url, specs)
            replan = subprocess.run(
                [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode", str(specs)],
                capture_output=True,
                text=True,
                env={**os.environ, **demo_env(url)},
            )
    verdict = "ok" if applied.meets() and replan.returncode == 0 else "MISSED"
    print(
        f"{applied.line(CAMPAIGNS)}; plan afterwards exits {replan.returncode}  "
        f"[goals <= 1.5 x floor, <= 2 % 429, 0 failed, empty plan: {verdict}]"
    )
    compare_with_tutorial(CAMPAIGNS, applied)


if __name__ == "__main__":
    main()
