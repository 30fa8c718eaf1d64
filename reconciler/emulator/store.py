"""The emulated tenant's state: stored records plus what the clock derives from them.

``Store`` is the records (``records.py``, persistence only) with the
derived side joined on: status, figures and views at the store's clock
(``lifecycle.py``, ``views.py``). Its writes bank the figures so far before
anything that changes how calls are counted (start, stop, a new definition),
so counters never go down. The state survives restarts: a later process sees
transitions completed while nothing was running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.emulator.dialer import DialerModel, Figures
from reconciler.emulator.lifecycle import Lifecycle, Simulation
from reconciler.emulator.records import Records, Row
from reconciler.emulator.views import campaign_view, iso

__all__ = ["Lifecycle", "Row", "Store", "iso"]


class Store(Records):
    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Callable[[], float],
        lifecycle: Lifecycle | None = None,
        dialer: DialerModel | None = None,
    ) -> None:
        super().__init__(path, clock=clock)
        self.simulation = Simulation(lifecycle or Lifecycle(), dialer or DialerModel())
        self._record_counts: dict[str, int] = {}
        """Contact list sizes, read once: lists change only when seeded."""

    @property
    def lifecycle(self) -> Lifecycle:
        return self.simulation.lifecycle

    @property
    def dialer(self) -> DialerModel:
        return self.simulation.dialer

    def seed(self, contact_lists: list[dict[str, Any]], dnc_lists: list[dict[str, Any]]) -> None:
        self._record_counts.clear()
        super().seed(contact_lists, dnc_lists)

    def _records(self, row: Row) -> int:
        list_id = row.definition["contactListId"]
        if list_id not in self._record_counts:
            cl = self.contact_list(list_id)
            self._record_counts[list_id] = int(cl["recordCount"]) if cl else 0
        return self._record_counts[list_id]

    # derived state

    def figures(self, row: Row, now: float) -> Figures:
        return self.simulation.figures(row, now, self._records(row))

    def placed(self, row: Row, now: float) -> float:
        """Calls placed up to ``now`` (capped by the contact list's size)."""
        return self.simulation.placed(row, now, self._records(row))

    def status(self, row: Row, now: float) -> str:
        return self.simulation.status(row, now, self._records(row))

    def view(self, row: Row) -> dict[str, Any]:
        """The campaign as the API shows it, now."""
        return campaign_view(row, self.status(row, self.clock()))

    def realtime(self, row: Row) -> dict[str, Any]:
        return self.simulation.realtime(row, self.clock(), self._records(row))

    def statistics(self, row: Row) -> dict[str, Any]:
        return self.simulation.statistics(row, self.clock(), self._records(row))

    # writes that bank the figures so far

    def create(self, name: str, definition: dict[str, Any], idempotency_key: str | None) -> Row:
        return self.insert(name, definition, idempotency_key, remember=self.view)

    def replace_definition(self, row: Row, definition: dict[str, Any]) -> Row:
        return self.record_definition(row, definition, self.figures(row, self.clock()))

    def start(self, row: Row, failure: dict[str, str] | None) -> None:
        """Start (again): a COMPLETED run was never banked by a stop, so bank it now."""
        self.record_start(row, failure, self.figures(row, self.clock()))

    def stop(self, row: Row) -> None:
        self.record_stop(row, self.figures(row, self.clock()))
