"""Benchmark: `reconciler serve` at size.

1. A reconcile cycle over 1,000 owned, unchanged campaigns: goal only list
   pages, one read per distinct referenced list, no per-campaign read; < 2 s.
2. The pacing loop over 500 RUNNING campaigns on a 30 s interval: goal every
   campaign paced within its interval + 10 % (the gaps between its rounds).
3. `GET /api/v1/campaigns` over 1,000 campaigns from a served process on
   loopback: p95 < 100 ms under 20 concurrent clients; the serve process
   under 200 MB RSS.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import demo_env, emulator_process
from reconciler.emulator.app import build
from reconciler.emulator.server import free_port
from reconciler.engine.diff import Desired
from reconciler.providers.campaigns import CampaignsTenant
from reconciler.runtime import Runtime
from reconciler.service.controller import Config, Controller
from reconciler.service.cycle import reconcile
from reconciler.service.loops import Supervisor
from reconciler.service.state import State
from reconciler.session import connect
from reconciler.settings import from_env
from reconciler.spec.loader import load

SPEC = """\
apiVersion: cxone.reconciler/v1
kind: Campaign
metadata: {{name: Bench-{i:04d}}}
spec:
  dialerType: PREDICTIVE
  contactListId: {list_id}
  dnc: {{enforceNational: true, enforceLocal: true, listIds: [DNC-INTERNAL]}}
  pacing: {{callsPerMinute: 10, maxConcurrent: 20}}
  state: {state}
  adaptivePacing:
    interval: 30s
    cooldown: 0s
    minCallsPerMinute: 5
    maxCallsPerMinute: 25
    rules:
      - when: {{answerRate: {{gte: 0.35}}}}
        set: {{callsPerMinute: 25}}
"""
LISTS = ("CL-839201-AJF2", "CL-000000-EMPT")
"""Two distinct lists (the empty one only for stopped campaigns: a warning, not an error)."""
TARGET = {
    "CXONE_API_BASE": "http://emulator.bench",
    "CXONE_CLIENT_ID": "demo",
    "CXONE_CLIENT_SECRET": "demo-secret",
}


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/campaigns":
            kind = f"{request.method} campaign list page"
        elif path.startswith("/api/campaigns/"):
            kind = f"{request.method} one campaign" + (
                "" if path.count("/") == 3 else " " + path.rsplit("/", 1)[1]
            )
        elif path.startswith(("/api/contactlists/", "/api/dnclists/")):
            kind = f"GET {path}"
        else:
            kind = f"{request.method} {path}"
        self.seen[kind] += 1
        return await self.inner.handle_async_request(request)


def write_specs(folder: Path, count: int, state: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lists = LISTS if state == "stopped" else LISTS[:1]
    docs = [SPEC.format(i=i, list_id=lists[i % len(lists)], state=state) for i in range(count)]
    (folder / "bench.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return folder


def staged_emulator(specs: Path, *, running: bool) -> object:
    emulator = build(":memory:")
    lists = {c["id"] for c in emulator.store.contact_lists()}
    assert set(LISTS) <= lists, f"the seed lacks {set(LISTS) - lists}"
    for loaded in load([str(specs)]).campaigns:
        desired = Desired.from_spec(loaded.campaign)
        definition = dict(desired.definition)
        definition["labels"] = {**definition.get("labels", {}), "managed-by": "cxone-reconciler"}
        row = emulator.store.create(definition.pop("name"), definition, None)
        if running:
            emulator.store.start(row, None)
    return emulator


async def cycle_bench(root: Path) -> None:
    specs = write_specs(root / "cycle", 1000, "stopped")
    emulator = staged_emulator(specs, running=False)
    counting = Counting(httpx.ASGITransport(app=emulator.app))  # type: ignore[attr-defined]
    target = from_env(TARGET)
    state = State(root / "cycle.db")
    async with connect(target, transport=counting) as client:
        controller = Controller(Config((str(specs),), "bench"), CampaignsTenant(client), state)
        started = time.perf_counter()
        result = await reconcile(controller)
        took = time.perf_counter() - started
    state.close()
    print(f"cycle over 1,000 owned unchanged campaigns: outcome {result.outcome}, {took:.2f} s")
    for kind, n in sorted(counting.seen.items()):
        print(f"  {n:5d} x {kind}")
    per_campaign = sum(n for k, n in counting.seen.items() if "one campaign" in k)
    print(f"  per-campaign reads: {per_campaign} (goal 0); goal < 2 s: {'met' if took < 2 else 'MISSED'}")


async def pacing_bench(root: Path, seconds: float) -> None:
    specs = write_specs(root / "pacing", 500, "running")
    emulator = staged_emulator(specs, running=True)
    target = from_env(TARGET)
    state = State(root / "pacing.db")
    transport = httpx.ASGITransport(app=emulator.app)  # type: ignore[attr-defined]
    async with connect(target, transport=transport) as client:
        controller = Controller(
            Config((str(specs),), "bench"), CampaignsTenant(client), state, runtime=Runtime()
        )
        await asyncio.sleep(3.5)  # every campaign through QUEUED and INITIALIZING
        await controller.read()
        supervisor = Supervisor(controller, holder="bench", pid=os.getpid())
        loop = asyncio.create_task(supervisor.pacing_loop())
        await asyncio.sleep(seconds)
        loop.cancel()
        await asyncio.gather(loop, *supervisor._inflight.values(), return_exceptions=True)
    gaps: list[float] = []
    rounds = 0
    for i in range(500):
        times = [s["at"] for s in state.samples(f"Bench-{i:04d}", since=0)]
        rounds += len(times)
        gaps += [b - a for a, b in itertools.pairwise(times)]
    state.close()
    late = sorted(supervisor.lateness)
    print(f"pacing loop, 500 RUNNING campaigns at 30 s for {seconds:.0f} s: {rounds} rounds")
    if gaps:
        q = statistics.quantiles(gaps, n=100)
        print(
            f"  gap between a campaign's rounds: p50 {q[49]:.2f} s, p99 {q[98]:.2f} s, max {max(gaps):.2f} s"
        )
        print(f"  goal <= 33 s (interval + 10 %): {'met' if max(gaps) <= 33 else 'MISSED'}")
    print(f"  start lateness after due: p50 {late[len(late) // 2]:.3f} s, max {late[-1]:.3f} s")


def campaigns_bench(root: Path) -> None:
    specs = write_specs(root / "served", 1000, "stopped")
    with emulator_process() as url:
        env = {**os.environ, **demo_env(url), "PYTHONUNBUFFERED": "1"}
        subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", str(specs), "--auto-approve"],
            env=env,
            cwd=root,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "serve",
                str(specs),
                "--no-auth",
                "--port",
                str(port),
                "--sync-interval",
                "1h",
                "--state",
                str(root / "served.db"),
            ],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not get ready")
                time.sleep(0.1)
            latencies = _load(base, clients=20, each=25)
            rss = _peak_rss(serve.pid)
        finally:
            serve.terminate()
            serve.wait(timeout=20)
    q = statistics.quantiles(latencies, n=100)
    print(f"GET /api/v1/campaigns (1,000 campaigns), 20 concurrent clients, {len(latencies)} requests:")
    print(
        f"  p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms;"
        f" goal p95 < 100 ms: {'met' if q[94] < 0.1 else 'MISSED'}"
    )
    print(f"  serve peak RSS {rss / 1024:.0f} MB; goal < 200 MB: {'met' if rss < 200 * 1024 else 'MISSED'}")


def _load(base: str, *, clients: int, each: int) -> list[float]:
    """``clients`` threads, each its own connection, timing whole responses (parsed once, after)."""
    latencies: list[float] = []
    bodies: list[bytes] = []

    def one() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(each):
                started = time.perf_counter()
                response = client.get("/api/v1/campaigns")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
                bodies.append(response.content)

    httpx.get(f"{base}/api/v1/campaigns", timeout=30)  # warm
    threads = [threading.Thread(target=one) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(json.loads(b)["campaigns"]) == 1000 for b in bodies[:3])
    return latencies


def _peak_rss(pid: int) -> int:
    """VmHWM of the process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    seconds = float(os.environ.get("BENCH_PACING_SECONDS", "65"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        asyncio.run(cycle_bench(root))
        asyncio.run(pacing_bench(root, seconds))
        campaigns_bench(root)
