"""Tiny builders: run real domain commands and record their events as a tenant log."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

from domain import KPI, Cycle, KeyResult, Objective
from domain.key_result import follow_reschedule
from projections.base import Recorded, replay
from projections.progress import ProgressView, progress_projection

D = Decimal
Q1_START = date(2027, 1, 1)
Q1_END = date(2027, 3, 31)


class Log:
    """A tenant log in memory: positions from 1, a clock that moves one minute per event."""

    def __init__(self, tenant_id: UUID | None = None, clock: datetime | None = None) -> None:
        self.tenant_id = tenant_id or uuid4()
        self.clock = clock or datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
        self.records: list[Recorded] = []
        self._hash = b"\x00" * 32

    def at(self, moment: datetime | date) -> Log:
        """Move the clock to a moment (a date means 18:00 UTC that day); never backwards."""
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day, 18, tzinfo=UTC)
        assert moment >= self.clock, "recorded_at never goes backwards in a tenant log"
        self.clock = moment
        return self

    def save(self, *aggregates: Aggregate, actor: str = "alice") -> list[Recorded]:
        """Record every pending event of the aggregates, as one command would."""
        correlation_id = uuid4()
        saved = []
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                saved.append(self._append(event, actor, correlation_id))
        return saved

    def _append(
        self, event: CanMutateAggregate[UUID], actor: str, correlation_id: UUID
    ) -> Recorded:
        self.clock += timedelta(minutes=1)
        position = len(self.records) + 1
        self._hash = hashlib.sha256(self._hash + position.to_bytes(8, "big")).digest()
        record = Recorded(
            tenant_id=self.tenant_id,
            position=position,
            recorded_at=self.clock,
            actor=actor,
            correlation_id=correlation_id,
            stream_id=event.originator_id,
            version=event.originator_version,
            topic=get_topic(type(event)),
            hash=self._hash,
            event=event,
        )
        self.records.append(record)
        return record


def active_quarter(log: Log, name: str = "Q1 2027") -> Cycle:
    """A Q1 2027 cycle, planned and activated."""
    cycle = Cycle.create(name=name, starts_on=Q1_START, ends_on=Q1_END)
    cycle.activate(author="alice")
    log.save(cycle)
    return cycle


def objective(log: Log, cycle: Cycle, title: str = "Efficienza operativa", **kw: Any) -> Objective:
    """An objective of the cycle, owned by alice."""
    made = Objective.create(cycle=cycle, title=title, owner="alice", **kw)
    log.save(made)
    return made


def key_result(
    log: Log, cycle: Cycle, parent: Objective, title: str, kind: str = "decrease", **kw: Any
) -> KeyResult:
    """A key result of the objective, owned by bob."""
    made = KeyResult.create(
        cycle=cycle,
        objective=parent,
        title=title,
        kind=kind,
        owner="bob",
        **kw,
    )
    log.save(made)
    return made


def check_in(log: Log, cycle: Cycle, kr: KeyResult, value: str | int, on: date, **kw: Any) -> UUID:
    """A check-in by bob for business date ``on``, recorded at the log's clock."""
    check_in_id = kr.record_check_in(cycle=cycle, value=Decimal(value), on=on, author="bob", **kw)
    log.save(kr, actor="bob")
    return check_in_id


def seed_efficiency(log: Log) -> tuple[Cycle, Objective, KeyResult, KeyResult, KeyResult]:
    """The seed's "efficienza operativa": response time 21 h, milestone not done, costs 1.14M."""
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    response = key_result(
        log, cycle, goal, "Ridurre il tempo di risposta", start=24, target_percent=-20
    )
    milestone = key_result(log, cycle, goal, "Nuovo sistema di ticketing", kind="milestone")
    costs = key_result(
        log, cycle, goal, "Ridurre i costi operativi", start=1200000, target_percent=-10
    )
    log.at(date(2027, 2, 15))
    check_in(log, cycle, response, "21", date(2027, 2, 15), confidence=7, note="in linea")
    check_in(log, cycle, milestone, 0, date(2027, 2, 15))
    check_in(log, cycle, costs, "1140000", date(2027, 2, 15))
    return cycle, goal, response, milestone, costs


def kpi(log: Log, name: str = "Tempo medio di risposta", **kw: Any) -> KPI:
    """A KPI, higher is better by default: green at 90, red below 80, weekly."""
    spec: dict[str, Any] = {
        "direction": "higher_is_better",
        "green": 90,
        "red": 80,
        "frequency_days": 7,
    }
    spec.update(kw)
    made = KPI.create(name=name, owner="alice", **spec)
    log.save(made)
    return made


def fold_all(records: list[Recorded]) -> ProgressView:
    """The progress state after every record."""
    return replay(progress_projection, records)


def busy_tenant(log: Log) -> None:
    """A tenant that has done a bit of everything, for whole-log properties."""
    cycle, goal, response, milestone, costs = seed_efficiency(log)
    company = objective(log, cycle, "Crescere", level="company", roll_up_children=True)
    goal.reparent(new_parent=company, new_parent_ancestors=[], cycle=cycle, author="alice")
    goal.rename(title="Efficienza", cycle=cycle, author="alice")
    log.save(goal)
    meter = kpi(log, "Soddisfazione", direction="lower_is_better", green=4, red=D("4.5"))
    response.link_to_kpi(kpi=meter, cycle=cycle, author="alice")  # (it decreases: lower is better)
    log.save(response)
    log.at(date(2027, 3, 1))
    meter.record_measurement(value=D("4.2"), on=date(2027, 3, 1), author="survey")
    log.save(meter, actor="api-key")
    first = next(iter(meter.measurements))
    meter.correct_measurement(measurement_id=first, value=D("4.6"), reason="typo", author="eve")
    meter.change_thresholds(green=D("3.9"), red=D("4.4"), reason="new survey", author="alice")
    log.save(meter)
    costs.revise_target(cycle=cycle, target=1100000, reason="budget cut", author="carla")
    check_in(log, cycle, costs, "1120000", date(2027, 3, 1))
    late = check_in(log, cycle, response, "20", date(2027, 2, 20), confidence=8)
    response.correct_check_in(check_in_id=late, value="20.5", reason="rounding", author="bob")
    log.save(response, actor="bob")
    milestone.change_due_date(due_on=date(2027, 3, 15), cycle=cycle, author="alice")
    milestone.change_weight(weight=2, cycle=cycle, author="alice")
    milestone.rename(title="Ticketing online", cycle=cycle, author="alice")
    milestone.change_owner(owner="dario", cycle=cycle, author="alice")
    log.save(milestone)
    _edit_everything_else(log, cycle, company, response, meter)
    log.at(date(2027, 4, 1))
    krs = (response, milestone, costs)
    cycle.close(
        key_result_scores={kr.id: kr.score for kr in krs},
        objective_scores={goal.id: D("0.4"), company.id: D("0.4")},
        closed_by="alice",
    )
    log.save(cycle)
    cycle.adjust_score(item_id=goal.id, score=D("0.5"), reason="context", author="alice")
    log.save(cycle)


def _edit_everything_else(
    log: Log, cycle: Cycle, company: Objective, response: KeyResult, meter: KPI
) -> None:
    side = objective(log, cycle, "Laterale", parent=company)
    side.describe(description="per prova", cycle=cycle, author="alice")
    side.change_owner(owner="dario", cycle=cycle, author="alice")
    side.change_weight(weight=2, cycle=cycle, author="alice")
    side.set_committed(committed=True, cycle=cycle, author="alice")
    side.set_roll_up_children(roll_up_children=True, cycle=cycle, author="alice")
    side.reparent(new_parent=None, new_parent_ancestors=[], cycle=cycle, author="alice")
    side.archive(reason="not needed", cycle=cycle, author="alice")
    log.save(side)
    meter.link_key_result(key_result_id=response.id, author="alice")
    log.save(meter)
    response.unlink_from_kpi(cycle=cycle, author="alice")
    meter.unlink_key_result(key_result_id=response.id, author="alice")
    log.save(response, meter)
    meter.rename(name="Soddisfazione clienti", author="alice")
    meter.change_owner(owner="dario", author="alice")
    meter.change_frequency(frequency_days=30, author="alice")
    meter.archive(reason="replaced", author="alice")
    log.save(meter)
    cycle.rename(name="Q1 2027 Milano", reason="two offices", author="alice")
    log.save(cycle)
    for ends_on in (date(2027, 4, 15), Q1_END):  # stretched by mistake, then set right
        was_ending = cycle.ends_on
        cycle.reschedule(ends_on=ends_on, reason="typo", author="alice")
        following = follow_reschedule([response], cycle, was_ending=was_ending, author="alice")
        log.save(cycle, *following)
    _a_cycle_made_by_mistake(log)


def _a_cycle_made_by_mistake(log: Log) -> None:
    """A second Q1 planned by mistake, an objective and key result drafted then archived,
    then the cycle discarded."""
    mistake = Cycle.create(name="Q1 2027 doppio", starts_on=Q1_START, ends_on=Q1_END)
    log.save(mistake)
    draft = objective(log, mistake, "Bozza")
    key_result(log, mistake, draft, "Bozza KR", "increase", start=0, target=10)
    draft.archive(reason="doppione", cycle=mistake, author="alice")
    log.save(draft)
    mistake.discard(reason="creato per errore", author="alice")
    log.save(mistake)
