"""The key result aggregate: a measurable outcome of one objective, with its check-ins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import columns, progress, values
from domain.cycle import Cycle
from domain.errors import (
    ArchivedError,
    CrossCycleAlignmentError,
    DueOutsideError,
    DuplicateIdError,
    FedAgainstError,
    InvalidDateError,
    InvalidValueError,
    StartEqualsTargetError,
    TargetDirectionError,
    UnknownCheckInError,
)
from domain.kpi import KPI, aims_against
from domain.objective import Objective
from domain.values import DEFAULT_WEIGHT, CheckInSource, KRKind, Status, Unit, UnitKind

CHECK_IN_GRACE = timedelta(days=31)
Number = Decimal | int | str


@dataclass(frozen=True)
class CheckIn:
    """One check-in as it stands after corrections (``original_value`` as first recorded)."""

    check_in_id: UUID
    value: Decimal
    on: date
    confidence: int | None
    note: str
    author: str
    source: CheckInSource
    original_value: Decimal
    corrected: bool
    recorded_at: datetime


@dataclass(frozen=True)
class TargetRevision:
    """A target as revised, with the reason and who revised it."""

    target: Decimal
    target_relative_percent: Decimal | None
    reason: str
    author: str
    revised_at: datetime


_CHECK_IN_COLUMNS = (
    # what the rules read: ids (duplicates, corrections), dates and values (current value,
    # guardrail share), confidence and note (a correction keeps them when not given)
    "id",  # UUID hex
    "on",  # business date, ISO (sorts as the dates do)
    "value",  # after corrections, Decimal text
    "confidence",  # "" when none
    "note",
    # read by no rule: what ``check_ins`` shows (the API lists check-ins from it)
    "original_value",  # as first recorded
    "corrected",  # "1" once corrected, else "0"
    "author",
    "source",
    "recorded_at",  # microseconds since the Unix epoch
)


class _RevisionRecord(TypedDict):
    target: Decimal
    target_relative_percent: Decimal | None
    reason: str
    author: str
    revised_at: datetime


class KeyResult(Aggregate):
    """A key result: kind, start, target, unit, weight, due date and dated check-ins."""

    TOPIC = "okr.KeyResult"
    class_version = 2
    """Of the snapshot state: v2 packs the check-ins into columns (domain.columns)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """v1 snapshots held each check-in as a dict of values, keyed by id."""
        records: dict[str, dict[str, Any]] = state["_check_ins"]
        table = columns.empty(*_CHECK_IN_COLUMNS)
        for key, rec in sorted(records.items(), key=lambda item: int(item[1]["seq"])):
            row = _check_in_row(
                UUID(key), rec["on"], rec["original_value"], rec["confidence"],
                rec["note"], rec["author"], rec["source"], rec["recorded_at"],
            )  # fmt: skip
            corrected = bool(rec["corrected"])
            row.update(_corrected_cells(rec["value"], rec["confidence"], rec["note"], corrected))
            columns.add(table, row)
        state["_check_ins"] = table

    class Created(Aggregate.Created):
        """A key result was added to an objective."""

        TOPIC = "okr.KeyResult.Created"
        objective_id: UUID
        cycle_id: UUID
        title: str
        kind: str
        start: Decimal | None
        target: Decimal
        target_relative_percent: Decimal | None
        unit_kind: str
        currency: str | None
        unit_label: str | None
        weight: Decimal
        due_on: date
        owner: str
        kpi_id: UUID | None

    class CheckedIn(Aggregate.Event):
        """A value was reported for a business date (v2 added ``source``)."""

        TOPIC = "okr.KeyResult.CheckedIn"
        class_version = 2
        check_in_id: UUID
        value: Decimal
        on: date
        confidence: int | None
        note: str
        author: str
        source: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 check-ins had no source: they were all typed by people."""
            state.setdefault("source", CheckInSource.MANUAL.value)

        def apply(self, aggregate: Any) -> None:
            """Add the check-in."""
            kr: KeyResult = aggregate
            row = _check_in_row(
                self.check_in_id, self.on, self.value, self.confidence,
                self.note, self.author, self.source, self.timestamp,
            )  # fmt: skip
            columns.add(kr._check_ins, row)

    class CheckInCorrected(Aggregate.Event):
        """A check-in was restated with a reason; the original stays in history."""

        TOPIC = "okr.KeyResult.CheckInCorrected"
        check_in_id: UUID
        value: Decimal
        confidence: int | None
        note: str
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Replace the effective values of the check-in."""
            kr: KeyResult = aggregate
            index = columns.find(kr._check_ins, self.check_in_id)
            if index is None:
                raise KeyError(f"no check-in {self.check_in_id} to correct")
            cells = _corrected_cells(self.value, self.confidence, self.note, corrected=True)
            columns.update(kr._check_ins, index, cells)

    class TargetRevised(Aggregate.Event):
        """The target moved, with a reason; the original target stays in history."""

        TOPIC = "okr.KeyResult.TargetRevised"
        target: Decimal
        target_relative_percent: Decimal | None
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new target and remember the revision."""
            kr: KeyResult = aggregate
            kr._target = self.target
            kr._target_relative_percent = self.target_relative_percent
            kr._revisions.append(
                _RevisionRecord(
                    target=self.target,
                    target_relative_percent=self.target_relative_percent,
                    reason=self.reason,
                    author=self.author,
                    revised_at=self.timestamp,
                )
            )

    class Renamed(Aggregate.Event):
        """The title changed."""

        TOPIC = "okr.KeyResult.Renamed"
        title: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new title."""
            kr: KeyResult = aggregate
            kr._title = self.title

    class WeightChanged(Aggregate.Event):
        """Its weight in the objective's progress changed."""

        TOPIC = "okr.KeyResult.WeightChanged"
        weight: Decimal
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new weight."""
            kr: KeyResult = aggregate
            kr._weight = self.weight

    class OwnerChanged(Aggregate.Event):
        """Someone else owns the key result."""

        TOPIC = "okr.KeyResult.OwnerChanged"
        owner: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new owner."""
            kr: KeyResult = aggregate
            kr._owner = self.owner

    class DueDateChanged(Aggregate.Event):
        """The due date moved (within the cycle)."""

        TOPIC = "okr.KeyResult.DueDateChanged"
        due_on: date
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new due date."""
            kr: KeyResult = aggregate
            kr._due_on = self.due_on

    class LinkedToKpi(Aggregate.Event):
        """A KPI now feeds this key result."""

        TOPIC = "okr.KeyResult.LinkedToKpi"
        kpi_id: UUID
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the link."""
            kr: KeyResult = aggregate
            kr._kpi_id = self.kpi_id

    class UnlinkedFromKpi(Aggregate.Event):
        """The KPI named no longer feeds this key result."""

        TOPIC = "okr.KeyResult.UnlinkedFromKpi"
        kpi_id: UUID
        author: str

        def apply(self, aggregate: Any) -> None:
            """Drop the link."""
            kr: KeyResult = aggregate
            kr._kpi_id = None

    class Archived(Aggregate.Event):
        """The key result was retired; it can no longer change."""

        TOPIC = "okr.KeyResult.Archived"
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Freeze the key result."""
            kr: KeyResult = aggregate
            kr._archived = True

    def __init__(
        self,
        *,
        objective_id: UUID,
        cycle_id: UUID,
        title: str,
        kind: str,
        start: Decimal | None,
        target: Decimal,
        target_relative_percent: Decimal | None,
        unit_kind: str,
        currency: str | None,
        unit_label: str | None,
        weight: Decimal,
        due_on: date,
        owner: str,
        kpi_id: UUID | None,
    ) -> None:
        self._objective_id = objective_id
        self._cycle_id = cycle_id
        self._title = title
        self._kind = kind
        self._start = start
        self._target = target
        self._original_target = target
        self._target_relative_percent = target_relative_percent
        self._unit_kind = unit_kind
        self._currency = currency
        self._unit_label = unit_label
        self._weight = weight
        self._due_on = due_on
        self._owner = owner
        self._kpi_id = kpi_id
        self._archived = False
        self._check_ins: columns.Table = columns.empty(*_CHECK_IN_COLUMNS)
        self._revisions: list[_RevisionRecord] = []

    @classmethod
    def create(
        cls,
        *,
        cycle: Cycle,
        objective: Objective,
        title: str,
        kind: KRKind | str,
        owner: str,
        start: Number | None = None,
        target: Number | None = None,
        target_percent: Number | None = None,
        unit: Unit | None = None,
        weight: Number = DEFAULT_WEIGHT,
        due_on: date | None = None,
        kpi: KPI | None = None,
        id: UUID | None = None,  # client-supplied id (the library's keyword)
    ) -> KeyResult:
        """Add a key result to an objective of an open cycle, checking every rule first.

        Give the target as absolute ``target`` or as ``target_percent`` relative to
        ``start`` (exactly one). Milestones imply start 0 and target 1; guardrails take the
        threshold as target and an optional start. ``due_on`` defaults to the cycle end.
        """
        _check_objective(cycle, objective)
        kr_kind = values.choice(KRKind, kind, "kind")
        s, t, pct = _target_spec(kr_kind, start, target, target_percent)
        kr_unit = unit or Unit()
        for field, number in (("start", s), (_target_field(pct), t)):
            if number is not None:
                values.in_unit(number, kr_unit.kind, field)
        return cls._create(
            cls.Created,
            id=id,
            objective_id=objective.id,
            cycle_id=cycle.id,
            title=values.title(title),
            kind=kr_kind.value,
            start=s,
            target=t,
            target_relative_percent=pct,
            unit_kind=kr_unit.kind.value,
            currency=kr_unit.currency,
            unit_label=kr_unit.label,
            weight=values.weight(weight),
            due_on=_due_on(cycle, cycle.ends_on if due_on is None else due_on),
            owner=values.principal(owner, "owner"),
            kpi_id=None if kpi is None else _linkable(kpi, kr_kind, kr_unit),
        )

    def record_check_in(
        self,
        *,
        cycle: Cycle,
        value: Number,
        on: date,
        author: str,
        confidence: int | None = None,
        note: str = "",
        source: CheckInSource | str = CheckInSource.MANUAL,
        check_in_id: UUID | None = None,
        latest_on: date | None = None,
        objective: Objective | None = None,
    ) -> UUID:
        """Report a value for business date ``on``; returns the check-in id.

        ``on`` must fall between the cycle start and 31 days after its end, and not after
        ``latest_on`` when given (the caller's today: see services.app.base.Commands.today).
        ``objective``, its objective when given: archived, it takes no more check-ins.
        """
        self._check_editable(cycle)
        self.check_objective_live(objective)
        new_id = values.new_id(check_in_id, "check_in_id")
        if self.has_check_in(new_id):
            raise DuplicateIdError("check-in id already used", field="id")
        self.trigger_event(
            self.CheckedIn,
            check_in_id=new_id,
            value=self._value(value, fed=source == CheckInSource.KPI),
            on=_check_in_date(cycle, values.business_date(on, "on", latest_on)),
            confidence=values.confidence(confidence),
            note=values.note(note),
            author=values.principal(author, "author"),
            source=values.choice(CheckInSource, source, "source").value,
        )
        return new_id

    def correct_check_in(
        self,
        *,
        check_in_id: UUID,
        value: Number,
        reason: str,
        author: str,
        confidence: int | None = None,
        note: str | None = None,
    ) -> None:
        """Restate a check-in with a reason (allowed after close).

        ``confidence`` and ``note`` keep their current values when not given.
        """
        self._check_not_archived()
        index = columns.find(self._check_ins, check_in_id)
        if index is None:
            raise UnknownCheckInError("no such check-in", field="check_in_id")
        if confidence is None:
            confidence = _confidence(columns.cell(self._check_ins, "confidence", index))
        kept = columns.cell(self._check_ins, "note", index)  # stored: as it was taken then
        fed = columns.cell(self._check_ins, "source", index) == CheckInSource.KPI
        new_value = self._value(value, fed=fed)
        new_note = str(kept) if note is None else values.note(note)
        if (
            new_value == Decimal(columns.cell(self._check_ins, "value", index))
            and confidence == _confidence(columns.cell(self._check_ins, "confidence", index))
            and new_note == kept
        ):
            raise InvalidValueError(
                "the check-in says this already: a correction changes its value, confidence"
                " or note",
                field="value",
                rule="unchanged",
            )
        self.trigger_event(
            self.CheckInCorrected,
            check_in_id=check_in_id,
            value=new_value,
            confidence=values.confidence(confidence),
            note=new_note,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def revise_target(
        self,
        *,
        cycle: Cycle,
        reason: str,
        author: str,
        target: Number | None = None,
        target_percent: Number | None = None,
    ) -> None:
        """Move the target (absolute or relative to start), with a reason."""
        self._check_editable(cycle)
        if self.kind is KRKind.MILESTONE:
            raise InvalidValueError(
                "a milestone's target is fixed", field="target", rule="milestone_fixed"
            )
        _, t, pct = _target_spec(self.kind, self._start, target, target_percent)
        values.in_unit(t, self._unit_kind, _target_field(pct))
        if t == self._target:
            raise InvalidValueError(
                f"the target is {t} already: a revision moves it",
                field=_target_field(pct),
                rule="unchanged",
            )
        self.trigger_event(
            self.TargetRevised,
            target=t,
            target_relative_percent=pct,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def rename(self, *, title: str, cycle: Cycle, author: str) -> None:
        """Change the title."""
        self._check_editable(cycle)
        new = values.title(title)
        self.trigger_event(self.Renamed, title=new, author=values.principal(author, "author"))

    def change_weight(self, *, weight: Number, cycle: Cycle, author: str) -> None:
        """Change the weight in the objective's progress."""
        self._check_editable(cycle)
        new = values.weight(weight)
        self.trigger_event(
            self.WeightChanged, weight=new, author=values.principal(author, "author")
        )

    def change_owner(self, *, owner: str, cycle: Cycle, author: str) -> None:
        """Hand the key result to another owner."""
        self._check_editable(cycle)
        new = values.principal(owner, "owner")
        self.trigger_event(self.OwnerChanged, owner=new, author=values.principal(author, "author"))

    def change_due_date(self, *, due_on: date, cycle: Cycle, author: str) -> None:
        """Move the due date within the cycle."""
        self._check_editable(cycle)
        new = _due_on(cycle, due_on)
        self.trigger_event(
            self.DueDateChanged, due_on=new, author=values.principal(author, "author")
        )

    def link_to_kpi(self, *, kpi: KPI, cycle: Cycle, author: str) -> None:
        """Let a (not archived) KPI feed this key result (linked to it already: nothing
        recorded, as KPI.link_key_result)."""
        self._check_editable(cycle)
        kpi_id = _linkable(kpi, self.kind, self.unit)
        if kpi_id == self._kpi_id:
            return
        self.trigger_event(
            self.LinkedToKpi, kpi_id=kpi_id, author=values.principal(author, "author")
        )

    def unlink_from_kpi(self, *, cycle: Cycle, author: str) -> None:
        """Stop the linked KPI feeding this key result."""
        self._check_editable(cycle)
        if self._kpi_id is None:
            raise InvalidValueError("no KPI is linked", field="kpi_id", rule="not_linked")
        self.trigger_event(
            self.UnlinkedFromKpi, kpi_id=self._kpi_id, author=values.principal(author, "author")
        )

    def archive(self, *, reason: str, cycle: Cycle, author: str) -> None:
        """Retire the key result, with a reason."""
        self._check_editable(cycle)
        why = values.reason(reason)
        self.trigger_event(self.Archived, reason=why, author=values.principal(author, "author"))

    def _check_editable(self, cycle: Cycle) -> None:
        cycle.check_open_for(self._cycle_id)
        self._check_not_archived()

    def _check_not_archived(self) -> None:
        if self._archived:
            raise ArchivedError("the key result is archived", field="key_result_id")

    def check_objective_live(self, objective: Objective | None) -> None:
        """Refuse a change to a key result whose objective (when given) is archived: out
        of the tree, the progress and the scores, it is retired with it."""
        if objective is not None and objective.id == self._objective_id and objective.is_archived:
            raise ArchivedError("the key result's objective is archived", field="key_result_id")

    def _value(self, value: Number, *, fed: bool = False) -> Decimal:
        """A value of this key result: of its unit, unless a KPI `fed` it (the KPI checked it
        against its own unit: a measurement is never refused for a linked key result's)."""
        number = values.measured(value, "value")
        if not fed:
            values.in_unit(number, self._unit_kind, "value")
        if self.kind is KRKind.MILESTONE and number not in (0, 1):
            raise InvalidValueError(
                "a milestone is 0 (not done) or 1 (done)", field="value", rule="milestone_value"
            )
        return number

    @property
    def objective_id(self) -> UUID:
        """The objective this key result measures."""
        return self._objective_id

    @property
    def cycle_id(self) -> UUID:
        """The cycle of its objective."""
        return self._cycle_id

    @property
    def title(self) -> str:
        """Current title."""
        return self._title

    @property
    def kind(self) -> KRKind:
        """increase, decrease, stay_above, stay_below or milestone."""
        return KRKind(self._kind)

    @property
    def start(self) -> Decimal | None:
        """Baseline (None for a guardrail given without one)."""
        return self._start

    @property
    def target(self) -> Decimal:
        """Current target (the threshold for guardrails)."""
        return self._target

    @property
    def original_target(self) -> Decimal:
        """Target as first set, before any revision."""
        return self._original_target

    @property
    def target_relative_percent(self) -> Decimal | None:
        """The relative change the current target was given as, if any."""
        return self._target_relative_percent

    @property
    def target_revisions(self) -> list[TargetRevision]:
        """Every target revision, oldest first."""
        return [TargetRevision(**record) for record in self._revisions]

    @property
    def unit(self) -> Unit:
        """Unit of its values."""
        return Unit(UnitKind(self._unit_kind), self._currency, self._unit_label)

    @property
    def weight(self) -> Decimal:
        """Weight in the objective's progress."""
        return self._weight

    @property
    def due_on(self) -> date:
        """Due date (end of the window for expected progress)."""
        return self._due_on

    @property
    def owner(self) -> str:
        """Current owner (an opaque principal reference)."""
        return self._owner

    @property
    def kpi_id(self) -> UUID | None:
        """The KPI that feeds it, if any."""
        return self._kpi_id

    @property
    def is_archived(self) -> bool:
        """True once archived."""
        return self._archived

    @property
    def check_ins(self) -> Mapping[UUID, CheckIn]:
        """Every check-in as it stands after corrections, by id in recording order.

        Unpacked on first read: ``len`` and ``in`` cost next to nothing.
        """
        return columns.Rows(self._check_ins, _check_in)

    def has_check_in(self, check_in_id: UUID) -> bool:
        """Whether a check-in with this id was recorded."""
        return columns.find(self._check_ins, check_in_id) is not None

    @property
    def current_value(self) -> Decimal | None:
        """Value of the latest check-in, None before any."""
        index = self._latest_index()
        return None if index is None else Decimal(columns.cell(self._check_ins, "value", index))

    @property
    def current_confidence(self) -> int | None:
        """Confidence given with the latest check-in."""
        index = self._latest_index()
        if index is None:
            return None
        return _confidence(columns.cell(self._check_ins, "confidence", index))

    def _latest_index(self) -> int | None:
        return columns.last_max(self._check_ins["on"])

    @property
    def progress(self) -> Decimal | None:
        """Raw (unclamped) progress, None before any check-in."""
        return progress.raw_progress(self.kind, self._start, self._target, self.current_value)

    @property
    def guardrail_tally(self) -> tuple[int, int]:
        """(business days whose value met the target, days checked in), on corrected
        values: a day's value is the last recorded for it (one checked in again the same
        day counts once, as the chart shows it)."""
        kind, target = self.kind, self._target
        days = dict(zip(columns.items(self._check_ins["on"]),
                        columns.items(self._check_ins["value"]), strict=True))  # fmt: skip
        met = sum(progress.is_met(kind, target, Decimal(text)) for text in days.values())
        return met, len(days)

    @property
    def score(self) -> Decimal:
        """Default closing score (progress.key_result_score)."""
        met, total = self.guardrail_tally if self.kind.is_guardrail else (0, 0)
        return progress.key_result_score(self.kind, self.progress, met, total)

    def status(self, *, window_start: date, on: date) -> Status:
        """Computed status on a date, the window running from ``window_start`` (cycle start)."""
        expected = progress.expected_share(window_start, self._due_on, on)
        return progress.status(self.kind, self.progress, expected)


def _check_objective(cycle: Cycle, objective: Objective) -> None:
    cycle.check_open_for(cycle.id)
    if objective.cycle_id != cycle.id:
        raise CrossCycleAlignmentError(
            "the objective belongs to another cycle", field="objective_id"
        )
    if objective.is_archived:
        raise ArchivedError("the objective is archived", field="objective_id")


def _target_spec(
    kind: KRKind, start: Number | None, target: Number | None, percent: Number | None
) -> tuple[Decimal | None, Decimal, Decimal | None]:
    """Validated (start, absolute target, relative percent) for a kind."""
    if kind is KRKind.MILESTONE:
        return _milestone_spec(start, target, percent)
    s = None if start is None else values.measured(start, "start")
    t, pct = _target(s, target, percent)
    if kind.is_ranged:
        _check_range(kind, s, t, _target_field(pct))
    return s, t, pct


def _target_field(percent: Decimal | None) -> str:
    """The field a target's refusal names: the percentage, where the target was given as
    one (the client sent no ``target`` to set right)."""
    return "target" if percent is None else "target_percent"


def _milestone_spec(
    start: Number | None, target: Number | None, percent: Number | None
) -> tuple[Decimal, Decimal, None]:
    for field, given, implied in (("start", start, 0), ("target", target, 1)):
        if given is not None and values.measured(given, field) != implied:
            raise InvalidValueError(
                f"a milestone's {field} is {implied}", field=field, rule="milestone_fixed"
            )
    if percent is not None:
        raise InvalidValueError(
            "a milestone has no relative target", field="target_percent", rule="milestone_fixed"
        )
    return Decimal(0), Decimal(1), None


def _target(
    start: Decimal | None, target: Number | None, percent: Number | None
) -> tuple[Decimal, Decimal | None]:
    if (target is None) == (percent is None):
        raise InvalidValueError(
            "give exactly one of target or target_percent", field="target", rule="one_target"
        )
    if target is not None:
        return values.measured(target, "target"), None
    if start is None:
        raise InvalidValueError("a relative target needs a start", field="start", rule="required")
    pct = values.measured(percent, "target_percent")
    if start == 0:
        raise InvalidValueError(
            "a target relative to a start of 0 is 0 whatever the percentage: give the target",
            field="target_percent", rule="relative_to_zero",
        )  # fmt: skip
    return values.measured(progress.relative_target(start, pct), "target_percent"), pct


def _check_range(kind: KRKind, start: Decimal | None, target: Decimal, field: str) -> None:
    if start is None:
        raise InvalidValueError(f"{kind.value} needs a start", field="start", rule="required")
    if start == target:
        raise StartEqualsTargetError("start equals target: use a guardrail", field=field)
    if (kind is KRKind.INCREASE) != (target > start):
        way = "above" if kind is KRKind.INCREASE else "below"
        raise TargetDirectionError(f"{kind.value} needs a target {way} the start", field=field)


def follow_reschedule(
    key_results: Iterable[KeyResult], cycle: Cycle, *, was_ending: date, author: str
) -> list[KeyResult]:
    """The live key results of a cycle just rescheduled (Cycle.reschedule) that move with
    it: those due on the day it ended (`was_ending`), as a key result is by default, are due
    on its new end. One due on a day someone chose is not moved: a new start after it or a
    new end before it is refused (DueOutsideError, naming the date at fault), before
    anything is recorded. Archived ones stay as they were, out of the progress."""
    live = [kr for kr in key_results if kr.cycle_id == cycle.id and not kr.is_archived]
    following = [kr for kr in live if kr.due_on == was_ending != cycle.ends_on]
    chosen = [kr for kr in live if kr not in following]
    for field, outside in (
        ("starts_on", [kr for kr in chosen if kr.due_on < cycle.starts_on]),
        ("ends_on", [kr for kr in chosen if kr.due_on > cycle.ends_on]),
    ):
        if outside:
            titles = ", ".join(f"{kr.title!r} ({kr.due_on})" for kr in outside[:5])
            raise DueOutsideError(
                f"{len(outside)} key result(s) would be due outside the cycle: {titles};"
                " move their due dates first",
                field=field,
            )
    for kr in following:
        kr.change_due_date(due_on=cycle.ends_on, cycle=cycle, author=author)
    return following


def _due_on(cycle: Cycle, due_on: date) -> date:
    due = values.business_date(due_on, "due_on")
    if not cycle.starts_on <= due <= cycle.ends_on:
        raise InvalidDateError("the due date must fall within the cycle", field="due_on")
    return due


def _check_in_date(cycle: Cycle, on: date) -> date:
    day = values.business_date(on, "on")
    if not cycle.starts_on <= day or day - CHECK_IN_GRACE > cycle.ends_on:  # (no overflow)
        raise InvalidDateError(
            "a check-in is dated from the cycle start to 31 days after its end", field="on"
        )
    return day


def takes_values_of(kind: KRKind, unit: Unit, kpi: KPI) -> bool:
    """Whether a key result of this kind and unit may take a KPI's values: of the same unit
    (an hours KPI fed a euro key result its hours as euros, "100 % done"); never a
    milestone, done or not (an hours value there failed every later measurement)."""
    return kind is not KRKind.MILESTONE and values.same_unit(kpi.unit, unit)


def _linkable(kpi: KPI, kind: KRKind, unit: Unit) -> UUID:
    """A KPI that may feed a key result of this kind and unit (takes_values_of), is not
    archived, and that the key result does not aim to make worse (aims_against: as a KPI
    is not turned under the key results it feeds, none is linked against its direction)."""
    if kpi.is_archived:
        raise ArchivedError("the KPI is archived", field="kpi_id")
    if kind is KRKind.MILESTONE:
        raise InvalidValueError(
            "a milestone is done or not: no KPI feeds it", field="kpi_id", rule="milestone"
        )
    if not values.same_unit(kpi.unit, unit):
        raise InvalidValueError(
            f"the KPI is measured in {_said(kpi.unit)}, the key result in {_said(unit)}:"
            " a KPI feeds only a key result of its unit",
            field="kpi_id",
            rule="unit_mismatch",
        )
    if aims_against(kind, kpi.direction):
        raise FedAgainstError(
            f"the key result would {kind.value} the KPI, where"
            f" {kpi.direction.value.replace('_', ' ')}: fed by it, it would aim to make it"
            " worse; a key result it feeds goes its way (or is a guardrail)",
            field="kpi_id",
            rule="against_direction",
        )
    return kpi.id


def _said(unit: Unit) -> str:
    named = unit.label if unit.kind is UnitKind.TEXT else None
    return named or unit.currency or unit.kind.value


def _check_in_row(
    check_in_id: UUID,
    on: date,
    value: Decimal,
    confidence: int | None,
    note: str,
    author: str,
    source: str,
    recorded_at: datetime,
) -> dict[str, str]:
    """The cells of a check-in as first recorded."""
    text = str(value)
    return {
        "id": check_in_id.hex,
        "on": on.isoformat(),
        "value": text,
        "confidence": "" if confidence is None else str(confidence),
        "note": note,
        "original_value": text,
        "corrected": "0",
        "author": author,
        "source": source,
        "recorded_at": columns.instant_text(recorded_at),
    }


def _corrected_cells(
    value: Decimal, confidence: int | None, note: str, corrected: bool
) -> dict[str, str]:
    """The cells a correction restates (``corrected`` is False only for v1 snapshots)."""
    return {
        "value": str(value),
        "confidence": "" if confidence is None else str(confidence),
        "note": note,
        "corrected": "1" if corrected else "0",
    }


def _confidence(text: str) -> int | None:
    return int(text) if text else None


def _check_in(row_id: UUID, cells: dict[str, str]) -> CheckIn:
    return CheckIn(
        check_in_id=row_id,
        value=Decimal(cells["value"]),
        on=date.fromisoformat(cells["on"]),
        confidence=_confidence(cells["confidence"]),
        note=cells["note"],
        author=cells["author"],
        source=CheckInSource(cells["source"]),
        original_value=Decimal(cells["original_value"]),
        corrected=cells["corrected"] == "1",
        recorded_at=columns.instant(cells["recorded_at"]),
    )
