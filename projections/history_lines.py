"""One history line per event, from the progress state before and after it.

Events carry only the new value (a revised target, a corrected check-in); the state before
the event gives the old one, so every line says "before → after" per field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from domain import KPI, Cycle, KeyResult, Objective, access
from domain.access import AccessChange
from domain.progress import score_places, score_shown
from domain.settings import SettingsChange, changed
from domain.values import KRKind
from projections import rollup
from projections.base import Recorded, Row
from projections.history_text import (
    CREATED_TEMPLATE,
    SAID_OBJECTIVES,
    SETTINGS_TEMPLATE,
    date_text,
    number_text,
    value_text,
)
from projections.progress_state import (
    CheckInView,
    CycleView,
    KeyResultView,
    KPIView,
    MeasurementView,
    ObjectiveView,
    ProgressView,
    check_in_at,
    measurement_at,
)

CYCLE, OBJECTIVE, KEY_RESULT, KPI_KIND = "cycle", "objective", "key_result", "kpi"
TENANT = "tenant"
"""The kind of the lines about the tenant itself: changes of its settings."""
ACCESS = "access"
"""The kind of the lines about who may reach the tenant (the item is the tenant too)."""
_RANGED = frozenset({"increase", "decrease"})


class FieldChange(msgspec.Struct, frozen=True):
    """One field's value before and after a change, as text (None: no value)."""

    field: str
    before: str | None
    after: str | None


class StoredLine(msgspec.Struct, frozen=True):
    """rm_history: one change as a template and its parameters, with before → after per field.

    The sentence is rendered where it is read (:class:`HistoryLine`), not stored.
    """

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


class HistoryLine(StoredLine, frozen=True):
    """One change in words: the stored line and its English sentence."""

    text: str
    actor_name: str | None = None
    """Who acted, in words, where the reader looked it up: by name, else as the portal says
    them ("an operator", "an integration", "someone"; see history.with_names)."""


class _Item(msgspec.Struct, frozen=True):
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


class _Draft(msgspec.Struct, frozen=True):
    """What a describer finds; the row adds the record's facts."""

    item: _Item
    template: str
    changes: list[FieldChange]
    params: Mapping[str, str | None] = msgspec.field(default_factory=dict)
    valid_on: date | None = None


Describer = Callable[[ProgressView, ProgressView, Any], _Draft]
RowMaker = Callable[[ProgressView, ProgressView, Recorded], Row]
_JSON = msgspec.json.Encoder()


def history_row(before: ProgressView, after: ProgressView, record: Recorded) -> Row:
    """The rm_history row telling what ``record`` changed, in StoredLine's field order."""
    kind = type(record.event)
    try:
        direct = _DIRECT.get(kind)
        if direct is not None:
            return direct(before, after, record)
        draft = _DESCRIBERS[kind](before, after, record.event)
    except (KeyError, StopIteration):  # an unknown event, or an item the log never created
        draft = _unknown(record)
    return _row(record, draft)


def _row(record: Recorded, draft: _Draft) -> Row:
    e = record.event
    actor = getattr(e, "author", None) or getattr(e, "closed_by", None) or record.actor
    reason = getattr(e, "reason", None)
    params = {"title": draft.item.title, "actor": actor, "reason": reason, **draft.params}
    if draft.changes:
        params.setdefault("before", draft.changes[0].before)
        params.setdefault("after", draft.changes[0].after)
    item = draft.item
    return (
        record.position, record.recorded_at, item.kind, item.item_id, item.title, item.cycle_id,
        draft.valid_on, actor, draft.template, _JSON.encode(params).decode(),
        _JSON.encode(draft.changes).decode(), reason,
    )  # fmt: skip


def _unknown(record: Recorded) -> _Draft:
    item = _Item("event", record.stream_id, record.topic, None)
    return _Draft(item, "event.recorded", [], {"topic": record.topic})


def _created(fields: Mapping[str, object]) -> list[FieldChange]:
    return [FieldChange(name, None, value_text(value)) for name, value in fields.items()]


def _change(name: str, before: object, after: object) -> FieldChange:
    return FieldChange(name, value_text(before), value_text(after))


# Cycles


def _cycle_created(b: ProgressView, a: ProgressView, e: Cycle.Created) -> _Draft:
    fields = {"name": e.name, "starts_on": e.starts_on, "ends_on": e.ends_on, "period": e.period}
    params = {"starts_on": value_text(e.starts_on), "ends_on": value_text(e.ends_on)}
    return _Draft(_cycle(a.cycles[e.originator_id]), "cycle.created", _created(fields), params)


def _cycle_renamed(b: ProgressView, a: ProgressView, e: Cycle.Renamed) -> _Draft:
    old, new = b.cycles[e.originator_id], a.cycles[e.originator_id]
    return _Draft(_cycle(new), "cycle.renamed", [_change("name", old.name, new.name)])


def _cycle_rescheduled(b: ProgressView, a: ProgressView, e: Cycle.Rescheduled) -> _Draft:
    """Its days before → after ("{starts_before} to {ends_before} → ..."), and each field
    that changed, the period too."""
    old, new = b.cycles[e.originator_id], a.cycles[e.originator_id]
    names = ("starts_on", "ends_on", "period")
    changes = [
        _change(n, getattr(old, n), getattr(new, n))
        for n in names
        if getattr(old, n) != getattr(new, n)
    ]
    params = {
        "starts_before": value_text(old.starts_on), "ends_before": value_text(old.ends_on),
        "starts_after": value_text(new.starts_on), "ends_after": value_text(new.ends_on),
    }  # fmt: skip
    return _Draft(_cycle(new), "cycle.rescheduled", changes, params)


def _cycle_discarded(b: ProgressView, a: ProgressView, e: Cycle.Discarded) -> _Draft:
    """Said of the cycle as it stood before (it is gone after), its reason at the end."""
    old = b.cycles[e.originator_id]
    return _Draft(_cycle(old), "cycle.discarded", [_change("discarded", "false", "true")])


def _cycle_state(template: str) -> Describer:
    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.cycles[e.originator_id], a.cycles[e.originator_id]
        params = {
            "key_results": str(len(new.key_result_scores)),
            "objectives": str(len(new.objective_scores)),
        }
        return _Draft(_cycle(new), template, [_change("state", old.state, new.state)], params)

    return describe


def _cycle_closed(b: ProgressView, a: ProgressView, e: Cycle.Closed) -> _Draft:
    """The close: how many it scored, the cycle's score, the first objectives' (top-level
    first) and every key result's and objective's score by id ("key_result:<id>"), which an
    item's own timeline says (history.as_read_for)."""
    old, new = b.cycles[e.originator_id], a.cycles[e.originator_id]
    params = {
        "key_results": str(len(new.key_result_scores)),
        "objectives": str(len(new.objective_scores)),
        "score": _score_text(rollup.cycle_score(a, new)),
    }
    tops = set(rollup.roots(a, new.cycle_id))
    firsts = sorted(new.objective_scores, key=lambda o: o not in tops)[:SAID_OBJECTIVES]
    for n, objective_id in enumerate(firsts, start=1):
        params[f"objective_{n}"] = _objective_title(a, objective_id)
        params[f"objective_{n}_score"] = _score_text(new.objective_scores[objective_id])
    for kind, scores in ((KEY_RESULT, new.key_result_scores), (OBJECTIVE, new.objective_scores)):
        params.update({f"{kind}:{item}": _score_text(s) for item, s in scores.items()})
    change = _change("state", old.state, new.state)
    return _Draft(_cycle(new), "cycle.closed", [change], params)


def _score_adjusted(b: ProgressView, a: ProgressView, e: Cycle.ScoreAdjusted) -> _Draft:
    old = b.cycles[e.originator_id]
    item: _Item
    if e.item_id in old.key_result_scores:
        item = _key_result(a.key_results[e.item_id])
    else:
        item = _objective(a.objectives[e.item_id])
    before = old.key_result_scores.get(e.item_id, old.objective_scores.get(e.item_id))
    places = score_places(before, e.score)  # (0.669 → 0.661: not 0.66 → 0.66)
    said = {"before": _score_text(before, places), "after": _score_text(e.score, places)}
    return _Draft(
        item, "cycle.score_adjusted", [_change("score", before, e.score)],
        {**said, **_cycle_score_moved(b, a, e.originator_id)},
    )  # fmt: skip


def _cycle_score_moved(b: ProgressView, a: ProgressView, cycle_id: UUID) -> dict[str, str | None]:
    """The cycle's score before and after a score adjusted ("cycle_before", "cycle_after"),
    where it moved (a top-level objective's, so the weighted mean of them): the close's
    line said the score of then, and the cycle's timeline had no line saying why progress
    and the diff say another; none where it stayed."""
    before = rollup.cycle_score(b, b.cycles[cycle_id])
    after = rollup.cycle_score(a, a.cycles[cycle_id])
    if before == after:
        return {}
    places = score_places(before, after)
    return {"cycle_before": _score_text(before, places), "cycle_after": _score_text(after, places)}


def _score_text(score: Decimal | None, places: int = 2) -> str | None:
    """A score as people read it: two places (or `places`), rounded down (see
    progress.score_shown); the change keeps it exact."""
    return None if score is None else value_text(score_shown(score, places))


# Objectives


def _objective_title(state: ProgressView, objective_id: UUID | None) -> str | None:
    objective = None if objective_id is None else state.objectives.get(objective_id)
    return None if objective is None else objective.title


def _objective_created(b: ProgressView, a: ProgressView, e: Objective.Created) -> _Draft:
    """Its title, owner, level, commitment, where it was aligned, and its description if
    it was given one: what a reader of the timeline would otherwise not know it was made
    with."""
    fields = {
        "title": e.title,
        "description": e.description,
        "owner": e.owner,
        "level": e.level,
        "weight": e.weight,
        "committed": e.committed,
        "parent_id": e.parent_id,
    }
    params = {
        "owner": e.owner,
        "level": e.level,
        "committed": value_text(e.committed),
        "parent": _objective_title(a, e.parent_id),
        "description": e.description or None,
    }
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
    params = {"kind": e.kind, "target": value_text(e.target), "start": value_text(e.start)}
    item = _key_result(a.key_results[e.originator_id])
    template = "key_result.created" if e.kind in _RANGED else f"key_result.created_{e.kind}"
    return _Draft(item, template, _created(fields), params)


class _CheckInParams(msgspec.Struct):
    """A check-in line's parameters, keyed and ordered as :func:`_row` would (encoded faster)."""

    title: str
    actor: str
    reason: None
    on: str | None
    confidence: str | None
    source: str
    kpi: str | None
    note: str | None
    before: str | None
    after: str | None


def _check_in_row(b: ProgressView, a: ProgressView, record: Recorded) -> Row:
    """A check-in's row, straight (most of a log): what :func:`_row` would make of a draft
    (a check-in has an author and no reason)."""
    e: KeyResult.CheckedIn = record.event
    kr = a.key_results[e.originator_id]
    was = _check_in_on(b.key_results[e.originator_id], e.on)  # the value that date had so far
    value = number_text(e.value)
    before = None if was is None else number_text(was.value)
    changes = [FieldChange("value", before, value)]
    confidence = None if e.confidence is None else str(e.confidence)
    if confidence is not None:
        old = None if was is None or was.confidence is None else str(was.confidence)
        changes.append(FieldChange("confidence", old, confidence))
    if e.note:
        changes.append(FieldChange("note", None if was is None else was.note, e.note))
    actor, source = e.author or record.actor, getattr(e, "source", "manual")
    params = _CheckInParams(
        kr.title, actor, None, date_text(e.on), confidence, source, _kpi_name(a, kr.kpi_id),
        e.note or None, before, value,
    )  # fmt: skip
    return (
        record.position, record.recorded_at, KEY_RESULT, kr.key_result_id, kr.title, kr.cycle_id,
        e.on, actor, _check_in_template(source, e.confidence, kr.kind == _MILESTONE),
        _JSON.encode(params).decode(),
        _JSON.encode(changes).decode(), None,
    )  # fmt: skip


def _settings_changed(b: ProgressView, a: ProgressView, record: Recorded) -> Row:
    """A line about the tenant itself: each setting changed, before → after, or each it was
    made with (see history_text.SETTINGS_TEMPLATE and CREATED_TEMPLATE)."""
    e: SettingsChange.Created = record.event
    names = changed(e.before, e.after)
    before = e.before or {}
    changes = [_change(name, before.get(name), e.after[name]) for name in names]
    params: dict[str, str | None] = {"settings": ",".join(names)}
    for change in changes:
        params[f"{change.field}.before"] = change.before
        params[f"{change.field}.after"] = change.after
    item = _Item(TENANT, record.tenant_id, str(e.after["name"]), None)
    template = SETTINGS_TEMPLATE if e.before is not None else CREATED_TEMPLATE
    return _row(record, _Draft(item, template, changes, params))


def _access_changed(b: ProgressView, a: ProgressView, record: Recorded) -> Row:
    """A line about who may reach the tenant: a member's role (the member as an actor, named
    where the line is read), an API key, its status."""
    e: AccessChange.Created = record.event
    field = _ACCESS_FIELDS.get(e.subject, "role")
    params = {"member": f"user:{e.subject_id}"} if e.subject in access.PEOPLE else {}
    if e.name is not None:
        params["name"] = e.name
    item = _Item(ACCESS, record.tenant_id, e.tenant, None)
    draft = _Draft(item, _access_template(e), [_change(field, e.before, e.after)], params)
    return _row(record, draft)


_ACCESS_FIELDS = {
    access.TENANT: "status",
    access.PASSWORD_LINK: "password_link",
    access.PASSWORD: "password",
}
"""What an access change changed, by its subject (a role, where none is named)."""


def _access_template(e: AccessChange.Created) -> str:
    if e.subject == access.PASSWORD_LINK:
        return "access.password_link_made"
    if e.subject == access.PASSWORD:
        return "access.password_reset"
    if e.subject == access.TENANT:
        return "access.suspended" if e.after == access.SUSPENDED else "access.reactivated"
    if e.subject == access.API_KEY:
        return "access.api_key_revoked" if e.after is None else "access.api_key_created"
    if e.before is None:
        return "access.member_added"
    return "access.member_removed" if e.after is None else "access.member_role_changed"


def _check_in_on(kr: KeyResultView, on: date) -> CheckInView | None:
    """:func:`check_in_at`, at once when no check-in is dated after ``on`` (the usual case)."""
    latest = kr.latest  # the latest-dated, recorded last: the answer for any later date
    return latest if latest is not None and latest.on <= on else check_in_at(kr, on)


def _check_in_template(source: str, confidence: int | None, milestone: bool) -> str:
    if source == "kpi":
        return "key_result.checked_in_from_kpi"
    said = "key_result.milestone_checked_in" if milestone else "key_result.checked_in"
    return said if confidence is None else f"{said}_confidence"


_MILESTONE = KRKind.MILESTONE.value


def _check_in_corrected(b: ProgressView, a: ProgressView, e: KeyResult.CheckInCorrected) -> _Draft:
    kr = a.key_results[e.originator_id]
    wanted = e.check_in_id.int  # UUID == is Python code: compare the ints it would compare
    old = next(c for c in b.key_results[kr.key_result_id].check_ins if c.check_in_id.int == wanted)
    changes = [_change("value", old.value, e.value)]
    params: dict[str, str | None] = {
        "on": value_text(old.on),
        "original": value_text(old.original_value),
        "check_in": str(old.check_in_id),  # which one, where a day has several
    }
    if kr.kind == _MILESTONE:  # said done or not done, as its check-ins are
        params["kind"] = _MILESTONE
    if old.confidence != e.confidence:  # said, from what (None: none given) to what
        changes.append(_change("confidence", old.confidence, e.confidence))
        params["confidence"] = value_text(e.confidence)
        params["confidence_before"] = value_text(old.confidence)
    if old.note != e.note:  # said, as a measurement's (""; taken away)
        changes.append(_change("note", old.note, e.note))
        params["note"] = e.note
    in_force = check_in_at(b.key_results[kr.key_result_id], old.on)
    if in_force is not None and in_force.check_in_id.int != wanted:  # a later one that day
        params["day_value"] = value_text(in_force.value)
    return _Draft(_key_result(kr), "key_result.check_in_corrected", changes, params, old.on)


def _kr_field(name: str, template: str) -> Describer:
    """A change of one key result field."""

    def describe(b: ProgressView, a: ProgressView, e: Any) -> _Draft:
        old, new = b.key_results[e.originator_id], a.key_results[e.originator_id]
        change = _change(name, getattr(old, name), getattr(new, name))
        params = {
            "kpi": _kpi_name(a, getattr(e, "kpi_id", None)),
            "original": value_text(new.original_target) if name == "target" else None,
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
    params = {
        "green": value_text(e.green),
        "red": value_text(e.red),
        "frequency_days": str(e.frequency_days),
    }
    return _Draft(_kpi(a.kpis[e.originator_id]), "kpi.created", _created(fields), params)


def _measurement_on(kpi: KPIView, on: date) -> MeasurementView | None:
    """:func:`measurement_at`, at once when no measurement is dated after ``on``."""
    latest = kpi.latest
    return latest if latest is not None and latest.on <= on else measurement_at(kpi, on)


def _measured(b: ProgressView, a: ProgressView, e: KPI.Measured) -> _Draft:
    before = _measurement_on(b.kpis[e.originator_id], e.on)
    changes = [_change("value", None if before is None else before.value, e.value)]
    params = {"on": value_text(e.on), "source": e.source, "note": e.note or None}
    return _Draft(_kpi(a.kpis[e.originator_id]), "kpi.measured", changes, params, e.on)


def _measurement_corrected(b: ProgressView, a: ProgressView, e: KPI.MeasurementCorrected) -> _Draft:
    kpi = a.kpis[e.originator_id]
    wanted = e.measurement_id.int  # as in _check_in_corrected
    old = next(m for m in b.kpis[kpi.kpi_id].measurements if m.measurement_id.int == wanted)
    changes = [_change("value", old.value, e.value)]
    params = {"on": value_text(old.on), "original": value_text(old.original_value)}
    if e.note is not None and e.note != old.note:  # (None: a v1 correction, value only)
        changes.append(_change("note", old.note, e.note))
        params["note"] = e.note
    in_force = measurement_at(b.kpis[kpi.kpi_id], old.on)
    if in_force is not None and in_force.measurement_id.int != wanted:  # as a check-in's
        params["day_value"] = value_text(in_force.value)
    return _Draft(_kpi(kpi), "kpi.measurement_corrected", changes, params, old.on)


def _thresholds(
    b: ProgressView, a: ProgressView, e: KPI.ThresholdsChanged | KPI.DirectionChanged
) -> _Draft:
    old, new = b.kpis[e.originator_id], a.kpis[e.originator_id]
    changes = [_change("green", old.green, new.green), _change("red", old.red, new.red)]
    params = {
        "green_before": value_text(old.green),
        "green_after": value_text(new.green),
        "red_before": value_text(old.red),
        "red_after": value_text(new.red),
    }
    return _Draft(_kpi(new), "kpi.thresholds_changed", changes, params)


def _direction(b: ProgressView, a: ProgressView, e: KPI.DirectionChanged) -> _Draft:
    old, new = b.kpis[e.originator_id], a.kpis[e.originator_id]
    draft = _thresholds(b, a, e)  # its green and red, as a move of the thresholds says them
    changes = [_change("direction", old.direction, new.direction), *draft.changes]
    params = {**draft.params, "before": old.direction, "after": new.direction}
    return _Draft(draft.item, "kpi.direction_changed", changes, params)


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
    Cycle.Renamed: _cycle_renamed,
    Cycle.Rescheduled: _cycle_rescheduled,
    Cycle.Discarded: _cycle_discarded,
    Cycle.Activated: _cycle_state("cycle.activated"),
    Cycle.Closed: _cycle_closed,
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
    Objective.Restored: _objective_field("archived", "objective.restored"),
    KeyResult.Created: _kr_created,
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
    KPI.DirectionChanged: _direction,
    KPI.Renamed: _kpi_field("name", "kpi.renamed"),
    KPI.OwnerChanged: _kpi_field("owner", "kpi.owner_changed"),
    KPI.FrequencyChanged: _kpi_field("frequency_days", "kpi.frequency_changed"),
    KPI.KeyResultLinked: _kpi_link("kpi.key_result_linked", linked=True),
    KPI.KeyResultUnlinked: _kpi_link("kpi.key_result_unlinked", linked=False),
    KPI.Archived: _kpi_field("archived", "kpi.archived"),
}
"""What each kind of event says, as a draft :func:`_row` completes (check-ins: see _DIRECT)."""

_DIRECT: dict[type, RowMaker] = {
    KeyResult.CheckedIn: _check_in_row,
    SettingsChange.Created: _settings_changed,
    AccessChange.Created: _access_changed,
}
"""Events made into rows without a draft: check-ins (most of every log), and changes of
settings and access (their item is the tenant, which only the record names)."""
