"""SIGTERM half-way through apply: nothing new starts, it exits 1, a re-run converges."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from reconciler.emulator.app import build
from reconciler.emulator.faults import Faults
from reconciler.emulator.store import Lifecycle
from tests.conftest import served, spawned
from tests.specs import spec_text, write_spec

pytestmark = pytest.mark.e2e  # a child process and a real SIGINT


def test_an_interrupted_apply_stops_promptly_and_a_rerun_converges_without_duplicates(tmp_path: Path) -> None:
    write_spec(tmp_path, "many.yaml", *(spec_text(f"Slow-{i}", "running") for i in range(6)))
    emulator = build(
        ":memory:",
        lifecycle=Lifecycle(queued=0.2, initializing=3.0, stopping=0.1),
        faults=Faults(latency=0.2),
    )
    with served(emulator) as tenant:
        with spawned(["apply", "--auto-approve", "--concurrency", "1", str(tmp_path)], tenant.env) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if "created CMP-" in line:
                    break
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            out, _ = process.communicate(timeout=15)
            elapsed = time.monotonic() - signalled
        assert process.returncode == 1
        assert elapsed < 7
        assert "SIGTERM: starting nothing new" in out
        assert "interrupted." in out and "Traceback" not in out
        assert len(tenant.campaigns()) < 6
        emulator.faults = Faults()

        code, out = tenant.run("apply", "--auto-approve", str(tmp_path))
        assert code == 0, out
        live = tenant.campaigns()
        assert sorted(live) == [f"Slow-{i}" for i in range(6)]
        assert {c["status"] for c in live.values()} == {"RUNNING"}
        assert tenant.run("plan", "--detailed-exitcode", str(tmp_path))[0] == 0
