"""Helpers shared by the benchmarks: a `reconciler emulator` process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from reconciler.emulator.server import free_port


@contextmanager
def emulator_process(*flags: str) -> Iterator[str]:
    """`reconciler emulator` in its own process (its own GIL), stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/openapi.yaml", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("emulator did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def demo_env(url: str) -> dict[str, str]:
    return {"CXONE_API_BASE": url, "CXONE_CLIENT_ID": "demo", "CXONE_CLIENT_SECRET": "demo-secret"}
