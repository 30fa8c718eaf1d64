"""Benchmark: validate 10,000 spec files; hostile inputs refused fast and small.

Goal on the 2-core reference machine: 10,000 files in under 10 s and 500 MB
peak; every hostile input refused within 1 s and 50 MB of extra memory.
Run: `.venv/bin/python bench/bench_validate.py`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SPEC = textwrap.dedent(
    """\
    apiVersion: cxone.reconciler/v1
    kind: Campaign
    metadata:
      name: Bench-{i:04d}
      labels: {{team: bench, shard: "{shard}"}}
    spec:
      description: benchmark campaign {i}
      dialerType: PREDICTIVE
      contactListId: CL-839201-AJF2
      dnc: {{enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}}
      pacing: {{callsPerMinute: 10, maxConcurrent: 20}}
      schedule:
        timeZone: America/New_York
        windows: [{{days: [MON, TUE, WED, THU, FRI], start: "09:00", end: "20:00"}}]
      state: running
      launch: {{pollInterval: 3s, pollJitter: 2s, timeout: 10m}}
      adaptivePacing:
        minCallsPerMinute: 5
        maxCallsPerMinute: 25
        rules:
          - when: {{answerRate: {{gte: 0.35}}}}
            set: {{callsPerMinute: 25}}
          - when: {{answerRate: {{lt: 0.175}}}}
            set: {{callsPerMinute: 5}}
    """
)

FILES = 10_000
CHILD = """
import resource, sys, time
from reconciler.spec.loader import load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
result = load([sys.argv[1]])
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
extra = (peak - before) / 1024
print(f"{elapsed:.3f} {peak / 1024:.1f} {extra:.1f} {len(result.campaigns)} {len(result.errors)}")
"""


def measure(path: Path) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), int(out[3]), int(out[4])


def hostile(root: Path) -> dict[str, Path]:
    cases = {
        "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "\n".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(9)
        ),
        "deep nesting": "a: " + "[" * 200_000,
        "30 MB file": "a: b\n" * 6_000_000,
        "python tag": "!!python/object/apply:os.system ['echo pwned']\n",
        "many keys": "\n".join(f"k{i}: v" for i in range(60_000)),
        "many documents": "---\n".join(
            "apiVersion: x\nspec:\n" + "".join(f"  k{i}: 1\n" for i in range(4_900)) for _ in range(18)
        ),
    }
    paths = {}
    for name, text in cases.items():
        path = root / (name.replace(" ", "-") + ".yaml")
        path.write_text(text)
        paths[name] = path
    return paths


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        specs = root / "specs"
        specs.mkdir()
        for i in range(FILES):
            (specs / f"c{i:05d}.yaml").write_text(SPEC.format(i=i, shard=i % 7))
        wall, peak, _, campaigns, errors = measure(specs)
        verdict = "ok" if wall < 10 and peak < 500 and campaigns == FILES and not errors else "MISSED"
        print(
            f"validate {FILES} files: {wall:.3f} s, peak RSS {peak:.0f} MB, {campaigns} campaigns, "
            f"{errors} errors  [goal < 10 s, < 500 MB: {verdict}]"
        )
        for name, path in hostile(root).items():
            wall, _, extra, _, errors = measure(path)
            verdict = "ok" if wall < 1 and extra < 50 and errors else "MISSED"
            print(
                f"hostile {name:13s}: refused={bool(errors)} in {wall:.3f} s, "
                f"+{extra:.1f} MB  [goal < 1 s, < 50 MB: {verdict}]"
            )


if __name__ == "__main__":
    main()
