"""Benchmark: `reconciler emulator` over loopback serving GET /api/campaigns/{id}.

Goal on the 2-core reference machine: at least 300 requests/s.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.common import emulator_process

REQUESTS = 3000
CONCURRENCY = 16


async def hammer(url: str) -> tuple[float, int]:
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
        token = (
            await http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "demo",
                    "client_secret": "demo-secret",
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = await http.post(
            "/api/campaigns",
            headers=headers,
            json={
                "name": "Bench",
                "dialerType": "PREDICTIVE",
                "pacing": {"callsPerMinute": 10, "maxConcurrent": 20},
                "contactListId": "CL-839201-AJF2",
                "dnc": {"enforceNational": True, "enforceLocal": True},
            },
        )
        path = f"/api/campaigns/{created.json()['id']}"
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(REQUESTS):
            queue.put_nowait(i)
        ok = 0

        async def worker() -> None:
            nonlocal ok
            while not queue.empty():
                queue.get_nowait()
                response = await http.get(path, headers=headers)
                ok += response.status_code == 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - start, ok


def main() -> None:
    with emulator_process() as url:
        elapsed, ok = asyncio.run(hammer(url))
    rate = REQUESTS / elapsed
    verdict = "ok" if rate >= 300 and ok == REQUESTS else "MISSED"
    print(
        f"emulator GET /api/campaigns/{{id}}: {REQUESTS} requests ({ok} ok) in {elapsed:.2f} s "
        f"= {rate:.0f} requests/s, {CONCURRENCY} connections  [goal >= 300/s: {verdict}]"
    )


if __name__ == "__main__":
    main()
