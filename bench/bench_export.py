"""Benchmark: `reconciler export` of 1,000 managed campaigns from the sandbox.

Goal: the list pages and the token, no per-campaign read (10 pages + 1
token for 1,000 campaigns); under 3 s wall for the whole command on the
reference machine. The campaigns are created directly in the sandbox's store.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from reconciler.cli import main as cli
from reconciler.emulator.app import build
from reconciler.session import open_tenant

CAMPAIGNS = 1000
ZONES = ("America/New_York", "America/Chicago", "Europe/London", "Asia/Kolkata")


def prepare(sandbox: Path) -> None:
    an_hour_ago = time.time() - 3600  # started long ago: RUNNING by now
    emulator = build(str(sandbox), clock=lambda: an_hour_ago)
    for i in range(CAMPAIGNS):
        definition = {
            "description": f"benchmark campaign {i}" if i % 3 else "",
            "dialerType": ("PREDICTIVE", "PROGRESSIVE", "PREVIEW", "AGENTLESS")[i % 4],
            "pacing": {"callsPerMinute": 5 + i % 20, "maxConcurrent": 20},
            "contactListId": "CL-839201-AJF2",
            "dnc": {"enforceNational": True, "enforceLocal": i % 2 == 0, "listIds": ["DNC-INTERNAL"]},
            "schedule": {
                "timeZone": ZONES[i % len(ZONES)],
                "windows": [
                    {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "12:30"},
                    {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "13:30", "end": "20:00"},
                ],
            },
            "labels": {"team": f"team-{i % 7}", "managed-by": "cxone-reconciler"},
        }
        row = emulator.store.create(
            f"Bench Campaign/{i:04d}" if i % 10 == 0 else f"Bench-{i:04d}", definition, None
        )
        if i % 2:
            emulator.store.start(row, None)
    emulator.store.close()


def count_requests(root: Path) -> dict[str, int]:
    """The same command in process, its requests counted by the emulator."""
    emulator = build(str(root / ".reconciler" / "sandbox.db"))
    opener = functools.partial(open_tenant, transport=httpx.ASGITransport(app=emulator.app))
    result = CliRunner().invoke(
        cli,
        ["export", "--out", str(root / "counted")],
        obj={"open_tenant": opener},
        env={"CXONE_API_BASE": ""},
    )
    assert result.exit_code == 0, result.output
    return dict(emulator.requests)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prepare(root / ".reconciler" / "sandbox.db")
        sent = count_requests(root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CXONE_")}
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "export", "--verify", "--out", "campaigns"],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - start
        written = len(list((root / "campaigns").glob("*.yaml")))
        again = subprocess.run(
            [sys.executable, "-m", "reconciler", "export", "--out", "campaigns"],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
        )
        identical = f"{CAMPAIGNS} unchanged" in again.stdout
    pages = -(-CAMPAIGNS // 100)
    budget = pages + 1
    total = sum(sent.values())
    ok = total <= budget and wall < 3 and result.returncode == 0 and written == CAMPAIGNS and identical
    print(
        f"export of {CAMPAIGNS} managed campaigns (sandbox): {written} files, {total} requests {sent} "
        f"(budget {budget}: {pages} pages + token); `reconciler export --verify` wall {wall:.2f} s, "
        f"exit {result.returncode}; second run byte-identical: {identical}  "
        f"[goal <= budget, < 3 s: {'ok' if ok else 'MISSED'}]"
    )


if __name__ == "__main__":
    main()
