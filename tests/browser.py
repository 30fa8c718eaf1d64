"""The browser tests' world: one `reconciler serve` on loopback over the sandbox, with a day of history.

The sandbox's campaigns are applied with the CLI, a day of pacing samples,
decisions and events is written to the service's own state file (where the
pacing loop writes them), and one real ``reconciler serve`` process serves
it on 127.0.0.1 until the tests are done. The browser is Debian's
``chromium`` driven by Playwright (no browser download): ``chromium()``
names it, or says why there is none.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.emulator.server import free_port
from reconciler.service.auth import mint
from reconciler.service.state import State
from tests.paths import ROOT
from tests.specs import spec_text, write_spec

__all__ = ["SCREENSHOTS", "Site", "chromium", "run_cli", "serving_site"]

SCREENSHOTS = ROOT / ".screenshots"
"""Where the browser tests leave their screenshots (git-ignored)."""

ADAPTIVE = """\
  adaptivePacing:
    interval: 30s
    cooldown: 0s
    minCallsPerMinute: 5
    maxCallsPerMinute: 40
    maxAbandonRate: {cap}
    rules:
      - when: {{answerRate: {{gte: 0.35}}}}
        set: {{callsPerMinute: 30}}
      - when: {{answerRate: {{lt: 0.2}}}}
        set: {{callsPerMinute: 12}}
"""
RUNNING = ("Q3-Outbound", "Sales/West", "Renewals <EMEA>")
CAMPAIGNS = (*RUNNING, "Winter-Stopped")


def chromium() -> str | None:
    """The Chromium to drive: $RECONCILER_CHROMIUM, else Debian's `chromium` on the PATH."""
    found = os.environ.get("RECONCILER_CHROMIUM") or shutil.which("chromium")
    return found or shutil.which("chromium-browser")


@dataclass
class Site:
    root: Path
    url: str
    tokens: dict[str, str]

    def api(self, path: str, who: str = "viewer") -> dict[str, object]:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            loaded: dict[str, object] = json.loads(response.read())
            return loaded


def run_cli(root: Path, *args: str) -> str:
    """`reconciler ARGS` in ``root`` as a child process (the browser's event loop may be running here)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CXONE_API_BASE", "RECONCILER_TARGET")}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _history(state_path: Path, now: float) -> None:
    """A day of what the pacing loop records, 10 minutes apart: samples, decisions and pace events."""
    state = State(state_path)
    try:
        for index, name in enumerate(RUNNING):
            cpm, last = 12, None
            for step in range(144):
                at = now - 86400 + step * 600
                hour = step / 6
                answer = 0.28 + 0.12 * math.sin((hour + index * 3) / 24 * 2 * math.pi)
                abandon = max(0.0, 0.018 + 0.011 * math.sin((hour + index * 5) / 5) + 0.004 * index)
                wanted = 30 if answer >= 0.35 else 12 if answer < 0.2 else cpm
                if abandon > 0.03:
                    wanted = max(5, cpm - 5)
                if wanted != cpm and (last is None or at - last >= 3600):
                    reason = (
                        f"abandon rate {abandon:.1%} above the cap 3.0%: stepping down"
                        if abandon > 0.03
                        else f"rule 1 matched (answerRate {answer:.2f} >= 0.35)"
                        if wanted == 30
                        else f"rule 2 matched (answerRate {answer:.2f} < 0.2)"
                    )
                    body = {
                        "name": name,
                        "campaignId": f"CMP-00000{index + 1}",
                        "from": {"callsPerMinute": cpm, "maxConcurrent": 20},
                        "to": {"callsPerMinute": wanted, "maxConcurrent": 20},
                        "reason": reason,
                        "applied": True,
                        "at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at)),
                    }
                    state.add_decision(name, body, at=at)
                    state.record(
                        "pace",
                        f"{name}: {cpm} -> {wanted} calls/min: {reason}",
                        actor="reconciler",
                        at=at,
                        campaign=name,
                    )
                    cpm, last = wanted, at
                state.add_sample(
                    name,
                    at=at,
                    answer_rate=round(answer, 4),
                    abandon_rate=round(abandon, 4),
                    active_calls=cpm // 2,
                    pacing={"callsPerMinute": cpm, "maxConcurrent": 20},
                )
    finally:
        state.close()


def _ready(url: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"reconciler serve did not become ready at {url}")
        time.sleep(0.1)


@contextmanager
def serving_site(root: Path) -> Iterator[Site]:
    """Apply the campaigns to the sandbox in ``root``, seed the history, serve; SIGTERM after."""
    (root / "campaigns").mkdir()
    write_spec(
        root / "campaigns",
        "campaigns.yaml",
        spec_text("Q3-Outbound", "running", cpm=12, extra=ADAPTIVE.format(cap=0.03)),
        spec_text("Sales/West", "running", cpm=12, extra=ADAPTIVE.format(cap=0.03)),
        spec_text("Renewals <EMEA>", "running", cpm=12, extra=ADAPTIVE.format(cap=0.025)),
        spec_text("Winter-Stopped", "stopped"),
    )
    run_cli(root, "apply", "--auto-approve")
    tokens_file = root / "tokens.yaml"
    tokens = {"viewer": mint(tokens_file, "vera", "viewer")}
    tokens["operator"] = mint(tokens_file, "otto", "operator")
    _history(root / ".reconciler" / "serve.db", time.time())
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CXONE_API_BASE", "RECONCILER_TARGET")}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "serve", "--tokens", str(tokens_file), "--port", str(port)],
        cwd=root,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _ready(url)
        yield Site(root, url, tokens)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            log, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            log, _ = process.communicate()
        for token in tokens.values():
            assert token not in log, "a token reached the service log"
