"""One history line per event, from the progress state before and after it.

Events carry only the new value (a revised target, a corrected check-in); the state before
the event gives the old one, so every line says "before → after" per field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

import msgspec

from domain import KPI, Cycle, KeyResult, Objective
from projections.base import Recorded
from projections.codec import text
from projections.history_text import render
from projections.progress_state import (
    CycleView,
    KeyResultView,
    KPIView,
    ObjectiveView,
    ProgressView,
    check_in_at,
    measurement_at,
)

CYCLE, OBJECTIVE, KEY_RESULT, KPI_KIND = "cycle", "objective", "key_result", "kpi"
_RANGED = frozenset({"increase", "decrease"})


class FieldChange(msgspec.Struct, frozen=True):
    """One field's value before and after a change, as text (None: no value)."""

    field: str
    before: str | None
    after: str | None


class HistoryLine(msgspec.Struct, frozen=True):
    """rm_history: one change in words, with its before → after per field."""

    position: int
    recorded_at: datetime
    item_kind: str
    item_id: UUID
    item_title: str
    cycle_id: UUID | None
    valid_on: date | None
    actor: str
    template: str
    params: dict[str, str | None]
    changes: list[FieldChange]
    reason: str | None
    text: str


class _Item(NamedTuple):
    """Which item a line is about."""

    kind: str
    item_id: UUID
    title: str
    cycle_id: UUID | None


def _cycle(view: CycleView) -> _Item:
    return _Item(CYCLE, view.cycle_id, view.name, view.cycle_id)


def _objective(view: ObjectiveView) -> _Item:
    return _Item(OBJECTIVE, view.objective_id, view.title, view.cycle_id)


def _key_result(view: KeyResultView) -> _Item:
    return _Item(KEY_RESULT, view.key_result_id, view.title, view.cycle_id)


def _kpi(view: KPIView) -> _Item:
    return _Item(KPI_KIND, view.kpi_id, view.name, None)


@dataclass
class _Draft:
    """What a describer finds; the line adds the record's facts and the English text."""

    item: _Item
    template: str
    changes: list[FieldChange]
    params: Mapping[str, str | None] = field(default_factory=dict)
    valid_on: date | None = None


Describer = Callable[[ProgressView, ProgressView, Any], _Draft]


def history_line(before: ProgressView, after: ProgressView, record: Recorded) -> HistoryLine:
    """The line telling what ``record`` changed, between the states around it."""
    e = record.event
    describer = _DESCRIBERS.get(type(e))
    try:
        draft = _unknown(record) if describer is None else describer(before, after, e)
    except (KeyError, StopIteration):  # an item the log never created: say what happened
        draft = _unknown(record)
    actor = getattr(e, "author", None) or getattr(e, "closed_by", None) or record.actor
    reason = getattr(e, "reason", None)
    params = {"title": draft.item.title, "actor": actor, "reason": reason, **draft.params}
    for change in draft.changes[:1]:
        params.setdefault("before", change.before)
        params.setdefault("after", change.after)
    return HistoryLine(
        position=record.position,
        recorded_at=record.recorded_at,
        item_kind=draft.item.kind,
        item_id=draft.item.item_id,
        item_title=draft.item.title,
        cycle_id=draft.item.cycle_id,
        valid_on=draft.valid_on,
        actor=actor,
        template=draft.template,
        params=params,
        changes=draft.changes,
        reason=reason,
        text=render(draft.template, params),
    )


def _unknown(record: Recorded) -> _Draft:
    item = _Item("event", record.stream_id, record.topic, None)
    return _Draft(item, "event.recorded", [], {"topic": record.topic})


def _created(fields: Mapping[str, object]) -> list[FieldChange]:
    return [FieldChange(name, None, text(value)) for name, value in fields.items()]


def _change(name: str, before: object, after: object) -> FieldChange:
    return FieldChange(name, text(before), text(after))


# Cycles


def _cycle_created(b: ProgressView, a: ProgressView, e: Cycle.Created) -> _Draft:
    fields = {"name": e.name, "starts_on": e.starts_on, "ends_on": e.ends_on, "period": e.period}
    params = {"starts_on": text(e.starts_on), "ends_on": text(e.ends_on)}
    return _Draft(_cycle(a.cycles[e.originator_id]), "cycle.created", _created(fields), params)


def _cycle_state(template: str) -> Describer:
    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.cycles[e.originator_id], a.cycles[e.originator_id]
        params = {
            "key_results": str(len(new.key_result_scores)),
            "objectives": str(len(new.objective_scores)),
        }
        return _Draft(_cycle(new), template, [_change("state", old.state, new.state)], params)

    return describe


def _score_adjusted(b: ProgressView, a: ProgressView, e: Cycle.ScoreAdjusted) -> _Draft:
    old = b.cycles[e.originator_id]
    item: _Item
    if e.item_id in old.key_result_scores:
        item = _key_result(a.key_results[e.item_id])
    else:
        item = _objective(a.objectives[e.item_id])
    before = old.key_result_scores.get(e.item_id, old.objective_scores.get(e.item_id))
    return _Draft(item, "cycle.score_adjusted", [_change("score", before, e.score)])


# Objectives


def _objective_title(state: ProgressView, objective_id: UUID | None) -> str | None:
    objective = None if objective_id is None else state.objectives.get(objective_id)
    return None if objective is None else objective.title


def _objective_created(b: ProgressView, a: ProgressView, e: Objective.Created) -> _Draft:
    fields = {
        "title": e.title,
        "owner": e.owner,
        "level": e.level,
        "weight": e.weight,
        "committed": e.committed,
        "parent_id": e.parent_id,
    }
    params = {"owner": e.owner, "parent": _objective_title(a, e.parent_id)}
    item = _objective(a.objectives[e.originator_id])
    return _Draft(item, "objective.created", _created(fields), params)


def _objective_field(name: str, template: str | Callable[[Any], str]) -> Describer:
    """A change of one objective field; ``template`` may depend on the event."""

    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.objectives[e.originator_id], a.objectives[e.originator_id]
        key = template if isinstance(template, str) else template(e)
        return _Draft(_objective(new), key, [_change(name, getattr(old, name), getattr(new, name))])

    return describe


def _reparented(b: ProgressView, a: ProgressView, e: Objective.Reparented) -> _Draft:
    if e.previous_parent_id is None:
        template = "objective.aligned"
    elif e.parent_id is None:
        template = "objective.unaligned"
    else:
        template = "objective.realigned"
    change = _change("parent_id", e.previous_parent_id, e.parent_id)
    params = {
        "before": _objective_title(b, e.previous_parent_id),
        "after": _objective_title(a, e.parent_id),
    }
    return _Draft(_objective(a.objectives[e.originator_id]), template, [change], params)


# Key results


def _kr_created(b: ProgressView, a: ProgressView, e: KeyResult.Created) -> _Draft:
    fields = {
        "title": e.title,
        "kind": e.kind,
        "start": e.start,
        "target": e.target,
        "weight": e.weight,
        "due_on": e.due_on,
        "owner": e.owner,
        "kpi_id": e.kpi_id,
    }
    params = {"kind": e.kind, "target": text(e.target), "start": text(e.start)}
    item = _key_result(a.key_results[e.originator_id])
    template = "key_result.created" if e.kind in _RANGED else f"key_result.created_{e.kind}"
    return _Draft(item, template, _created(fields), params)


def _checked_in(b: ProgressView, a: ProgressView, e: KeyResult.CheckedIn) -> _Draft:
    new = a.key_results[e.originator_id]
    was = check_in_at(b.key_results[e.originator_id], e.on)  # the value that date had so far
    changes = [_change("value", None if was is None else was.value, e.value)]
    if e.confidence is not None:
        changes.append(_change("confidence", None if was is None else was.confidence, e.confidence))
    if e.note:
        changes.append(_change("note", None if was is None else was.note, e.note))
    source = getattr(e, "source", "manual")
    params = {
        "on": text(e.on),
        "confidence": text(e.confidence),
        "source": source,
        "kpi": _kpi_name(a, new.kpi_id),
        "note": e.note or None,
    }
    return _Draft(_key_result(new), _check_in_template(source, e.confidence), changes, params, e.on)


def _check_in_template(source: str, confidence: int | None) -> str:
    if source == "kpi":
        return "key_result.checked_in_from_kpi"
    if confidence is not None:
        return "key_result.checked_in_confidence"
    return "key_result.checked_in"


def _check_in_corrected(b: ProgressView, a: ProgressView, e: KeyResult.CheckInCorrected) -> _Draft:
    kr = a.key_results[e.originator_id]
    old = next(
        c for c in b.key_results[kr.key_result_id].check_ins if c.check_in_id == e.check_in_id
    )
    changes = [_change("value", old.value, e.value)]
    if old.confidence != e.confidence:
        changes.append(_change("confidence", old.confidence, e.confidence))
    if old.note != e.note:
        changes.append(_change("note", old.note, e.note))
    params = {"on": text(old.on), "original": text(old.original_value)}
    return _Draft(_key_result(kr), "key_result.check_in_corrected", changes, params, old.on)


def _kr_field(name: str, template: str) -> Describer:
    """A change of one key result field."""

    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.key_results[e.originator_id], a.key_results[e.originator_id]
        change = _change(name, getattr(old, name), getattr(new, name))
        params = {
            "kpi": _kpi_name(a, getattr(e, "kpi_id", None)),
            "original": text(new.original_target) if name == "target" else None,
        }
        return _Draft(_key_result(new), template, [change], params)

    return describe


# KPIs


def _kpi_name(state: ProgressView, kpi_id: UUID | None) -> str | None:
    kpi = None if kpi_id is None else state.kpis.get(kpi_id)
    return None if kpi is None else kpi.name


def _kpi_created(b: ProgressView, a: ProgressView, e: KPI.Created) -> _Draft:
    fields = {
        "name": e.name,
        "direction": e.direction,
        "green": e.green,
        "red": e.red,
        "frequency_days": e.frequency_days,
        "owner": e.owner,
    }
    params = {"green": text(e.green), "red": text(e.red), "frequency_days": str(e.frequency_days)}
    return _Draft(_kpi(a.kpis[e.originator_id]), "kpi.created", _created(fields), params)


def _measured(b: ProgressView, a: ProgressView, e: KPI.Measured) -> _Draft:
    before = measurement_at(b.kpis[e.originator_id], e.on)
    changes = [_change("value", None if before is None else before.value, e.value)]
    params = {"on": text(e.on), "source": e.source}
    return _Draft(_kpi(a.kpis[e.originator_id]), "kpi.measured", changes, params, e.on)


def _measurement_corrected(b: ProgressView, a: ProgressView, e: KPI.MeasurementCorrected) -> _Draft:
    kpi = a.kpis[e.originator_id]
    old = next(m for m in b.kpis[kpi.kpi_id].measurements if m.measurement_id == e.measurement_id)
    changes = [_change("value", old.value, e.value)]
    params = {"on": text(old.on), "original": text(old.original_value)}
    return _Draft(_kpi(kpi), "kpi.measurement_corrected", changes, params, old.on)


def _thresholds(b: ProgressView, a: ProgressView, e: KPI.ThresholdsChanged) -> _Draft:
    old, new = b.kpis[e.originator_id], a.kpis[e.originator_id]
    changes = [_change("green", old.green, new.green), _change("red", old.red, new.red)]
    params = {
        "green_before": text(old.green),
        "green_after": text(new.green),
        "red_before": text(old.red),
        "red_after": text(new.red),
    }
    return _Draft(_kpi(new), "kpi.thresholds_changed", changes, params)


def _kpi_link(template: str, linked: bool) -> Describer:
    """The KPI's own record that it (no longer) feeds a key result."""

    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        kr = a.key_results.get(e.key_result_id)
        params = {"key_result": str(e.key_result_id) if kr is None else kr.title}
        kr_id = str(e.key_result_id)
        change = (
            FieldChange("key_result_id", None, kr_id)
            if linked
            else FieldChange("key_result_id", kr_id, None)
        )
        return _Draft(_kpi(a.kpis[e.originator_id]), template, [change], params)

    return describe


def _kpi_field(name: str, template: str) -> Describer:
    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.kpis[e.originator_id], a.kpis[e.originator_id]
        return _Draft(_kpi(new), template, [_change(name, getattr(old, name), getattr(new, name))])

    return describe


def _commitment(e: Objective.CommitmentChanged) -> str:
    return "objective.committed" if e.committed else "objective.aspirational"


def _roll_up(e: Objective.RollUpChanged) -> str:
    return "objective.roll_up_on" if e.roll_up_children else "objective.roll_up_off"


_DESCRIBERS: dict[type, Describer] = {
    Cycle.Created: _cycle_created,
    Cycle.Activated: _cycle_state("cycle.activated"),
    Cycle.Closed: _cycle_state("cycle.closed"),
    Cycle.ScoreAdjusted: _score_adjusted,
    Objective.Created: _objective_created,
    Objective.Renamed: _objective_field("title", "objective.renamed"),
    Objective.Described: _objective_field("description", "objective.described"),
    Objective.OwnerChanged: _objective_field("owner", "objective.owner_changed"),
    Objective.WeightChanged: _objective_field("weight", "objective.weight_changed"),
    Objective.CommitmentChanged: _objective_field("committed", _commitment),
    Objective.RollUpChanged: _objective_field("roll_up_children", _roll_up),
    Objective.Reparented: _reparented,
    Objective.Archived: _objective_field("archived", "objective.archived"),
    KeyResult.Created: _kr_created,
    KeyResult.CheckedIn: _checked_in,
    KeyResult.CheckInCorrected: _check_in_corrected,
    KeyResult.TargetRevised: _kr_field("target", "key_result.target_revised"),
    KeyResult.Renamed: _kr_field("title", "key_result.renamed"),
    KeyResult.WeightChanged: _kr_field("weight", "key_result.weight_changed"),
    KeyResult.OwnerChanged: _kr_field("owner", "key_result.owner_changed"),
    KeyResult.DueDateChanged: _kr_field("due_on", "key_result.due_date_changed"),
    KeyResult.LinkedToKpi: _kr_field("kpi_id", "key_result.linked_to_kpi"),
    KeyResult.UnlinkedFromKpi: _kr_field("kpi_id", "key_result.unlinked_from_kpi"),
    KeyResult.Archived: _kr_field("archived", "key_result.archived"),
    KPI.Created: _kpi_created,
    KPI.Measured: _measured,
    KPI.MeasurementCorrected: _measurement_corrected,
    KPI.ThresholdsChanged: _thresholds,
    KPI.Renamed: _kpi_field("name", "kpi.renamed"),
    KPI.KeyResultLinked: _kpi_link("kpi.key_result_linked", linked=True),
    KPI.KeyResultUnlinked: _kpi_link("kpi.key_result_unlinked", linked=False),
    KPI.Archived: _kpi_field("archived", "kpi.archived"),
}
