"""`provider: cxone-acd` end to end through the `reconciler` CLI.

The CLI runs in process against the ACD emulator with every quirk on
(throttling and early token expiry included), on fake time, each response
checked against the emulator's contract. The target comes from the
environment exactly as an operator sets it (CXONE_PROVIDER=cxone-acd and an
access key): the real session code builds the provider from that Target.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.acd import AcdEmulator, Quirks, build_acd
from reconciler.emulator.dialer import DialerModel, Profile
from reconciler.runtime import Runtime
from reconciler.session import open_tenant
from reconciler.settings import Target
from reconciler.tenant import Tenant
from tests.contract import AcdContractTransport
from tests.fakes import FakeTime
from tests.paths import ROOT

BASE = "http://acd.test"
WEEK = """\
  schedule:
    timeZone: America/New_York
    windows:
      - {days: [MON, TUE, WED, THU, FRI, SAT, SUN], start: "09:00", end: "20:00"}
"""


def spec(
    name: str,
    state: str = "stopped",
    *,
    dialer: str = "PROGRESSIVE",
    description: str = "renewals",
    schedule: str = WEEK,
    acd: str = "",
    extra: str = "",
) -> str:
    return (
        f"""\
apiVersion: cxone.reconciler/v1
kind: Campaign
metadata:
  name: {name}
  labels: {{team: sales}}
spec:
  description: {description}
  dialerType: {dialer}
  contactListId: Enterprise-Q3
  dnc: {{enforceNational: false, enforceLocal: true, listIds: [Internal-Opt-Outs]}}
{schedule}  state: {state}
  launch: {{pollInterval: 1s, pollJitter: 0s, timeout: 2m}}
"""
        + acd
        + extra
    )


PREDICTIVE_ACD = """\
  acd:
    maximumRatio: 3
    maxConcurrentCallsPerAgent: 2
    abandonRateThreshold: 2.5
    maximumRingingDuration: 20
    maximumAttempts: 5
    minimumRetryMinutes: 60
    campaign: Renewals
    timeZones:
      - {standardName: Eastern Standard Time, startTime: "08:00", endTime: "21:00"}
"""
ADAPTIVE = """\
  adaptivePacing:
    interval: 30s
    cooldown: 0s
    maxAbandonRate: 0.03
    rules:
      - when: {answerRate: {gte: 0.9}}
        set: {maximumRatio: 3}
"""


class AcdCli:
    """`reconciler` with CXONE_PROVIDER=cxone-acd against one ACD emulator on fake time."""

    def __init__(self, emulator: AcdEmulator, clock: FakeTime) -> None:
        self.emulator = emulator
        self.clock = clock
        self.env = {
            "CXONE_PROVIDER": "cxone-acd",
            "CXONE_AUTH_BASE": BASE,
            "CXONE_ACCESS_KEY_ID": "demo",
            "CXONE_ACCESS_KEY_SECRET": "demo-secret",
            "CXONE_ACD_TENANT_DNC_GROUP": "Tenant-DNC",
            "CXONE_ACD_RESOLVE_DELAY": "2.5",
            "CXONE_RATE_LIMIT": "0",
        }
        self.checked = 0

    def run(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        @asynccontextmanager
        async def opener(target: Target, *, runtime: Runtime | None = None) -> AsyncIterator[Tenant]:
            transport = AcdContractTransport(httpx.ASGITransport(app=self.emulator.app))
            async with open_tenant(target, transport=transport, runtime=runtime) as tenant:
                yield tenant
            self.checked += transport.checked

        obj = {"open_tenant": opener, "runtime": self.clock.runtime}
        result = CliRunner().invoke(main, list(args), env=self.env if env is None else env, obj=obj)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        self.clock.advance(10)  # past the list lag and the isRunning flip, as between two real runs
        return result.exit_code, result.output

    def skills(self) -> dict[str, dict[str, Any]]:
        return {s["skillName"]: s for s in self.emulator.state.all("skill")}

    def running(self) -> dict[str, tuple[bool, bool]]:
        """Skill name -> (active, dialing)."""
        return {n: (bool(s["isActive"]), self.emulator._running(s)) for n, s in self.skills().items()}


@pytest.fixture
def acd(tmp_path: Path) -> AcdCli:
    clock = FakeTime()
    dialer = DialerModel(profiles=(Profile("rc-spiky*", answer_rate=0.5, abandon_rate=0.2),))
    emulator = build_acd(":memory:", clock=clock.wall, quirks=Quirks.all(), dialer=dialer)
    return AcdCli(emulator, clock)


def write(folder: Path, name: str, *documents: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("---\n".join(documents))
    return path


def test_every_command_end_to_end_with_every_quirk_on(acd: AcdCli, tmp_path: Path) -> None:
    specs = tmp_path / "campaigns"
    write(specs, "renewals.yaml", spec("rc-renewals", "running"), spec("rc-winback"))
    write(
        specs,
        "spiky.yaml",
        spec("rc-spiky", "running", dialer="PREDICTIVE", acd=PREDICTIVE_ACD, extra=ADAPTIVE),
    )

    code, out = acd.run("validate", str(specs))
    assert code == 0, out

    code, out = acd.run("plan", "--detailed-exitcode", str(specs))
    assert code == 2, out
    assert "(cxone-acd)" in out
    assert "Plan: 3 to create, 2 to start, 0 unchanged." in out
    assert "no ETag" in out
    assert acd.skills() == {}

    code, out = acd.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    assert "3 applied, 0 failed, 0 interrupted." in out
    assert acd.running() == {
        "rc-renewals": (True, True),
        "rc-winback": (True, False),
        "rc-spiky": (True, True),
    }
    general = acd.skills()["rc-spiky"]["_general"]
    assert (general["maximumRatio"], general["maxConcurrentCallsPerAgent"]) == (3, 2)
    assert acd.run("plan", "--detailed-exitcode", str(specs))[0] == 0

    # update in place; a locked field (the schedule) on a running skill: stop, update, start
    later = WEEK.replace('"09:00", end: "20:00"', '"10:00", end: "19:00"')
    write(
        specs,
        "renewals.yaml",
        spec("rc-renewals", "running", schedule=later),
        spec("rc-winback", description="win back, Q4"),
    )
    code, out = acd.run("plan", "--format", "json", str(specs))
    actions = {c["name"]: c["actions"] for c in json.loads(out)["changes"]}
    assert actions == {"rc-renewals": ["stop", "update", "start"], "rc-winback": ["update"]}
    code, out = acd.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    assert "2 applied" in out
    assert acd.skills()["rc-winback"]["notes"] == "win back, Q4"
    assert acd.skills()["rc-renewals"]["_schedule"]["mondayStartTime"] == "10:00"
    assert acd.running()["rc-renewals"] == (True, True)
    assert acd.run("plan", "--detailed-exitcode", str(specs))[0] == 0

    # start one, stop the other
    write(
        specs,
        "renewals.yaml",
        spec("rc-renewals", "stopped", schedule=later),
        spec("rc-winback", "running", description="win back, Q4"),
    )
    code, out = acd.run("apply", "--auto-approve", str(specs))
    assert code == 0, out
    assert acd.running()["rc-renewals"] == (True, False)
    assert acd.running()["rc-winback"] == (True, True)
    assert acd.run("plan", "--detailed-exitcode", str(specs))[0] == 0

    # drift: none, then a change made in CXone by hand shows
    assert acd.run("drift", str(specs))[0] == 0
    skill = acd.skills()["rc-winback"]
    acd.emulator.state.put("skill", skill["skillId"], {**skill, "notes": "edited in CXone"})
    code, out = acd.run("drift", str(specs))
    assert code == 2, out
    assert "edited in CXone" in out
    assert acd.run("apply", "--auto-approve", str(specs))[0] == 0

    # export: the files read back as the same campaigns (no change)
    exported = tmp_path / "exported"
    code, out = acd.run("export", "--out", str(exported), "--verify")
    assert code == 0, out
    assert sorted(p.name for p in exported.glob("*.yaml")) == [
        "rc-renewals.yaml",
        "rc-spiky.yaml",
        "rc-winback.yaml",
    ]
    assert "maximumRatio: 3" in (exported / "rc-spiky.yaml").read_text()
    assert acd.run("validate", str(exported))[0] == 0

    # pace: the spiky skill abandons 20 %: the guard steps maximumRatio down, towards 1
    acd.clock.advance(600)
    code, out = acd.run("pace", "--format", "json", str(specs))
    assert code == 0, out
    (decision,) = json.loads(out)["decisions"]
    assert (decision["name"], decision["from"], decision["to"], decision["applied"]) == (
        "rc-spiky",
        {"maximumRatio": 3},
        {"maximumRatio": 2},
        True,
    )
    assert acd.skills()["rc-spiky"]["_general"]["maximumRatio"] == 2
    acd.run("pace", str(specs))
    assert acd.skills()["rc-spiky"]["_general"]["maximumRatio"] == 1
    code, out = acd.run("pace", str(specs))
    assert "at 1 line per agent" in out
    # what the pacer did is not drift, and a plan does not undo it
    assert acd.run("plan", "--detailed-exitcode", str(specs))[0] == 0

    code, out = acd.run("summary", "--format", "json", str(specs))
    report = json.loads(out)
    rows = {c["name"]: c for c in report["campaigns"]}
    assert set(rows) == {"rc-renewals", "rc-winback", "rc-spiky"}
    assert rows["rc-spiky"]["totalCalls"] > 0 and rows["rc-spiky"]["abandoned"] > 0
    assert rows["rc-spiky"]["overAbandonCap"] is True
    assert code == 0, out

    # deactivate through --prune: a running skill is stopped first
    write(specs, "renewals.yaml", spec("rc-renewals", "stopped", schedule=later))
    code, out = acd.run("apply", "--auto-approve", "--prune", "--force", str(specs))
    assert code == 0, out
    assert acd.running()["rc-winback"] == (False, False)
    assert acd.run("plan", "--detailed-exitcode", "--prune", str(specs))[0] == 0
    assert acd.checked > 0


def test_fields_the_acd_api_cannot_honour_are_plan_errors_at_their_spec_lines(
    acd: AcdCli, tmp_path: Path
) -> None:
    weekdays = WEEK.replace("MON, TUE, WED, THU, FRI, SAT, SUN", "MON, TUE, WED, THU, FRI")
    path = write(
        tmp_path / "campaigns",
        "bad.yaml",
        spec("rc-bad", schedule=weekdays, extra="  pacing: {callsPerMinute: 10}\n").replace(
            "enforceNational: false", "enforceNational: true"
        ),
    )
    code, out = acd.run("plan", str(path))
    assert code == 1
    assert "3 thing(s) in the specs that cxone-acd cannot do" in out
    assert f"{path}:17:28: error: the ACD API has no calls-per-minute setting: remove it and set " in out
    assert f"{path}:10:26: error: the ACD API has no national DNC switch: write enforceNational: false" in out
    assert f"{path}:14:7: error: the ACD API rejects a week with an inactive day, and SAT, SUN have" in out
    assert acd.skills() == {}


def test_the_campaigns_provider_refuses_acd_settings_and_needs_pacing(acd: AcdCli, tmp_path: Path) -> None:
    path = write(tmp_path / "campaigns", "c.yaml", spec("rc-one", acd=PREDICTIVE_ACD))
    code, out = acd.run("validate", str(path), env={"CXONE_PROVIDER": "cxone-campaigns"})
    assert code == 1
    assert "spec.acd holds settings of provider cxone-acd" in out
    assert "missing required field 'pacing'" in out
    assert acd.run("validate", str(path))[0] == 0


def test_the_example_acd_spec_validates_and_plans(acd: AcdCli) -> None:
    example = ROOT / "examples" / "acd"
    assert acd.run("validate", str(example))[0] == 0
    code, out = acd.run("plan", str(example))
    assert code == 0, out
    assert "Plan: 1 to create, 1 to start, 0 unchanged." in out
