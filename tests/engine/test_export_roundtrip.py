"""Round trip as a property: any campaign the spec can express, exported, plans empty."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.emulator.app import build
from reconciler.emulator.store import Lifecycle
from tests.conftest import InProcessCli
from tests.fakes import FakeTime

DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
ZONES = ["UTC", "America/New_York", "America/St_Johns", "Europe/Paris", "Asia/Kolkata", "Australia/Lord_Howe"]
EARLIEST, LATEST = 8 * 60, 21 * 60  # TCPA calling hours: the spec can express these

# what a spec can express: printable text on one line (no controls, separators or bidi marks)
PRINTABLE = st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp"))
names = st.text(PRINTABLE, min_size=1, max_size=40)
label_keys = st.text(PRINTABLE, min_size=1, max_size=20).filter(lambda k: k != "managed-by")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    start, end = sorted(draw(st.lists(st.integers(EARLIEST, LATEST), min_size=2, max_size=2, unique=True)))
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    return {"days": days, "start": _hhmm(start), "end": _hhmm(end)}


schedules = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"timeZone": st.sampled_from(ZONES), "windows": st.lists(windows(), min_size=1, max_size=4)}
    ),
)

definitions = st.fixed_dictionaries(
    {
        "description": st.one_of(st.just(""), st.text(PRINTABLE, max_size=60)),
        "dialerType": st.sampled_from(["PREDICTIVE", "PROGRESSIVE", "PREVIEW", "AGENTLESS"]),
        "pacing": st.fixed_dictionaries(
            {"callsPerMinute": st.integers(1, 600), "maxConcurrent": st.integers(1, 1000)}
        ),
        "contactListId": st.just("CL-839201-AJF2"),
        "dnc": st.fixed_dictionaries(
            {
                "enforceNational": st.booleans(),
                "enforceLocal": st.booleans(),
                "listIds": st.lists(st.sampled_from(["DNC-INTERNAL", "DNC-NATIONAL"]), unique=True),
            }
        ),
        "schedule": schedules,
        "labels": st.dictionaries(label_keys, st.text(PRINTABLE, max_size=30), max_size=5),
    }
)

campaigns = st.lists(
    st.tuples(names, definitions, st.booleans()), min_size=1, max_size=4, unique_by=lambda c: c[0]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns)
def test_an_export_of_any_expressible_campaigns_plans_empty(
    campaigns: list[tuple[str, dict[str, Any], bool]],
) -> None:
    clock = FakeTime()
    emulator = build(":memory:", clock=clock.wall, lifecycle=Lifecycle(queued=1, initializing=2, stopping=1))
    cli = InProcessCli(emulator, clock)
    for name, definition, running in campaigns:
        stored = {**definition, "labels": {**definition["labels"], "managed-by": "cxone-reconciler"}}
        row = emulator.store.create(name, stored, None)
        if running:
            emulator.store.start(row, None)
    clock.advance(5)  # every started campaign is RUNNING
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "campaigns"
        code, text = cli.run("export", "--verify", "--out", str(out))
        assert code == 0, text
        assert len(list(out.glob("*.yaml"))) == len(campaigns)
        code, text = cli.run("plan", "--detailed-exitcode", str(out))
        assert code == 0, text
        code, text = cli.run("drift", str(out))
        assert code == 0, text
