"""What applying one campaign's change came to (pure value)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    name: str
    campaign_id: str | None
    planned: tuple[str, ...]
    done: list[str] = field(default_factory=list)
    failed_action: str | None = None
    error: str | None = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.interrupted and tuple(self.done) == self.planned
