"""A tiny aggregate for store tests, independent of the OKR domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event


class Tally(Aggregate):
    """A named running total of Decimal amounts."""

    @staticmethod
    def create_id(name: str, id: UUID | None = None) -> UUID:
        return id or uuid4()

    TOPIC = "test.Tally"

    @event("Created", topic="test.Tally.Created")
    def __init__(self, name: str, id: UUID | None = None) -> None:
        self.name = name
        self.total = Decimal(0)
        self.notes: list[str] = []

    @event("Added", topic="test.Tally.Added")
    def add(self, amount: Decimal, note: str = "") -> None:
        self.total += amount
        self.notes.append(note)

    class Renamed(Aggregate.Event):
        """v2 added `reason`; v1 rows in the log lack it."""

        TOPIC = "test.Tally.Renamed"
        class_version = 2
        name: str
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = "(not recorded)"

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.rename_reason = self.reason

    def rename(self, name: str, reason: str) -> None:
        self.trigger_event(self.Renamed, name=name, reason=reason)
