"""What applying one campaign's change came to (pure value)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.tenant import Action

__all__ = ["Outcome"]


@dataclass
class Outcome:
    name: str
    campaign_id: str | None
    planned: tuple[Action, ...]
    done: list[Action] = field(default_factory=list)
    failed_action: Action | None = None
    error: str | None = None
    interrupted: bool = False
    in_flight: Action | None = None
    """An action whose request was sent but whose result was not seen (interrupted meanwhile)."""
    notes: list[str] = field(default_factory=list)
    """How an ambiguous step was settled (e.g. confirmed by reading the campaign back)."""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.interrupted and tuple(self.done) == self.planned
