"""Tiny builders for domain tests: the seed's first quarter, its objectives and key results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from domain import KPI, Cycle, KeyResult, KRKind, Objective, Unit, UnitKind

Q1_START = date(2027, 1, 1)
Q1_END = date(2027, 3, 31)
AUTHOR = "user-anna"


def a_cycle(*, state: str = "active", **overrides: Any) -> Cycle:
    """Q1 2027, active unless told otherwise ("planning", "closed")."""
    fields: dict[str, Any] = {"name": "Q1 2027", "starts_on": Q1_START, "ends_on": Q1_END}
    cycle = Cycle.create(**(fields | overrides))
    if state != "planning":
        cycle.activate(author=AUTHOR)
    if state == "closed":
        cycle.close(key_result_scores={}, objective_scores={}, closed_by=AUTHOR)
    return cycle


def an_objective(cycle: Cycle, **overrides: Any) -> Objective:
    """'Migliorare l'efficienza operativa' in the given cycle."""
    fields: dict[str, Any] = {
        "cycle": cycle,
        "title": "Migliorare l'efficienza operativa",
        "owner": "user-marco",
    }
    return Objective.create(**(fields | overrides))


def a_key_result(cycle: Cycle, objective: Objective | None = None, **overrides: Any) -> KeyResult:
    """The seed's response time KR: decrease from 24 h to 19.2 h (-20 %)."""
    fields: dict[str, Any] = {
        "cycle": cycle,
        "objective": objective or an_objective(cycle),
        "title": "Ridurre il tempo medio di risposta ai clienti",
        "kind": KRKind.DECREASE,
        "owner": "user-marco",
        "start": Decimal(24),
        "target_percent": Decimal(-20),
        "unit": Unit(UnitKind.HOURS),
    }
    return KeyResult.create(**(fields | overrides))


def a_kpi(**overrides: Any) -> KPI:
    """Average response time in hours: lower is better, green <= 20, red > 24."""
    fields: dict[str, Any] = {
        "name": "Tempo medio di risposta",
        "direction": "lower_is_better",
        "green": Decimal(20),
        "red": Decimal(24),
        "frequency_days": 7,
        "owner": "user-marco",
        "unit": Unit(UnitKind.HOURS),
    }
    return KPI.create(**(fields | overrides))


def settled(aggregate: Aggregate) -> int:
    """Drop pending events (as if saved) and return the version reached."""
    aggregate.collect_events()
    return aggregate.version


def assert_nothing_recorded(aggregate: Aggregate, version: int) -> None:
    """A refused command left no pending event and did not move the version."""
    assert aggregate.collect_events() == []
    assert aggregate.version == version
