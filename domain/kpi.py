"""The KPI aggregate: an ongoing health metric with thresholds and dated measurements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import columns, progress, values
from domain.errors import (
    ArchivedError,
    DuplicateIdError,
    FedAgainstError,
    InvalidValueError,
    UnknownMeasurementError,
)
from domain.values import CheckInSource, Direction, Health, KRKind, Unit, UnitKind

MAX_FREQUENCY_DAYS = 366


@dataclass(frozen=True)
class Measurement:
    """One measurement of a KPI as it stands after corrections."""

    measurement_id: UUID
    value: Decimal
    on: date
    author: str
    source: CheckInSource
    note: str
    original_value: Decimal
    corrected: bool
    recorded_at: datetime


_MEASUREMENT_COLUMNS = (
    # what the rules read: ids (duplicates, corrections), dates and values (latest, health)
    "id",  # UUID hex
    "on",  # business date, ISO (sorts as the dates do)
    "value",  # after corrections, Decimal text
    # read by no rule: what ``measurements`` shows (the API lists measurements from it)
    "original_value",  # as first recorded
    "corrected",  # "1" once corrected, else "0"
    "author",
    "source",
    "note",
    "recorded_at",  # microseconds since the Unix epoch
)


class KPI(Aggregate):
    """A business-as-usual metric: direction, green/red thresholds, update frequency."""

    TOPIC = "okr.KPI"
    class_version = 2
    """Of the snapshot state: v2 packs the measurements into columns (domain.columns)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """v1 snapshots held each measurement as a dict of values, keyed by id."""
        records: dict[str, dict[str, Any]] = state["_measurements"]
        table = columns.empty(*_MEASUREMENT_COLUMNS)
        for key, rec in sorted(records.items(), key=lambda item: int(item[1]["seq"])):
            row = _measurement_row(
                UUID(key), rec["on"], rec["original_value"], rec["author"],
                rec["source"], rec["note"], rec["recorded_at"],
            )  # fmt: skip
            row["value"] = str(rec["value"])
            row["corrected"] = "1" if rec["corrected"] else "0"
            columns.add(table, row)
        state["_measurements"] = table

    class Created(Aggregate.Created):
        """A KPI was defined."""

        TOPIC = "okr.KPI.Created"
        name: str
        unit_kind: str
        currency: str | None
        unit_label: str | None
        direction: str
        green: Decimal
        red: Decimal
        frequency_days: int
        owner: str
        description: str

    class ThresholdsChanged(Aggregate.Event):
        """The green/red thresholds changed, with a reason."""

        TOPIC = "okr.KPI.ThresholdsChanged"
        green: Decimal
        red: Decimal
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new thresholds."""
            kpi: KPI = aggregate
            kpi._green = self.green
            kpi._red = self.red

    class DirectionChanged(Aggregate.Event):
        """Which way is better was set right (made the other way by mistake), with
        thresholds that fit it and a reason; the measurements stay as measured."""

        TOPIC = "okr.KPI.DirectionChanged"
        direction: str
        green: Decimal
        red: Decimal
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new direction and its thresholds."""
            kpi: KPI = aggregate
            kpi._direction = self.direction
            kpi._green = self.green
            kpi._red = self.red

    class Measured(Aggregate.Event):
        """A value was measured for a business date."""

        TOPIC = "okr.KPI.Measured"
        measurement_id: UUID
        value: Decimal
        on: date
        author: str
        source: str
        note: str

        def apply(self, aggregate: Any) -> None:
            """Add the measurement."""
            kpi: KPI = aggregate
            row = _measurement_row(
                self.measurement_id, self.on, self.value, self.author,
                self.source, self.note, self.timestamp,
            )  # fmt: skip
            columns.add(kpi._measurements, row)

    class MeasurementCorrected(Aggregate.Event):
        """A measurement was restated, with a reason; the original stays in history (v2
        added ``note``: the measurement's note after the correction)."""

        TOPIC = "okr.KPI.MeasurementCorrected"
        class_version = 2
        measurement_id: UUID
        value: Decimal
        note: str | None
        """None (a v1 correction): the measurement kept its note."""
        reason: str
        author: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 corrections changed the value only: the note stayed as it was."""
            state.setdefault("note", None)

        def apply(self, aggregate: Any) -> None:
            """Replace the effective value (and note) of the measurement."""
            kpi: KPI = aggregate
            index = columns.find(kpi._measurements, self.measurement_id)
            if index is None:
                raise KeyError(f"no measurement {self.measurement_id} to correct")
            cells = {"value": str(self.value), "corrected": "1"}
            if self.note is not None:
                cells["note"] = self.note
            columns.update(kpi._measurements, index, cells)

    class Renamed(Aggregate.Event):
        """The name changed."""

        TOPIC = "okr.KPI.Renamed"
        name: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new name."""
            kpi: KPI = aggregate
            kpi._name = self.name

    class OwnerChanged(Aggregate.Event):
        """Another person answers for the KPI."""

        TOPIC = "okr.KPI.OwnerChanged"
        owner: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new owner."""
            kpi: KPI = aggregate
            kpi._owner = self.owner

    class FrequencyChanged(Aggregate.Event):
        """The KPI is to be measured every so many days from now on."""

        TOPIC = "okr.KPI.FrequencyChanged"
        frequency_days: int
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new frequency."""
            kpi: KPI = aggregate
            kpi._frequency_days = self.frequency_days

    class KeyResultLinked(Aggregate.Event):
        """A key result now takes this KPI's measurements as check-ins."""

        TOPIC = "okr.KPI.KeyResultLinked"
        key_result_id: UUID
        author: str

        def apply(self, aggregate: Any) -> None:
            """Remember the key result to feed."""
            kpi: KPI = aggregate
            kpi._linked[str(self.key_result_id)] = True

    class KeyResultUnlinked(Aggregate.Event):
        """A key result no longer takes this KPI's measurements."""

        TOPIC = "okr.KPI.KeyResultUnlinked"
        key_result_id: UUID
        author: str

        def apply(self, aggregate: Any) -> None:
            """Forget the key result."""
            kpi: KPI = aggregate
            kpi._linked.pop(str(self.key_result_id), None)

    class Archived(Aggregate.Event):
        """The KPI was retired; it can no longer change."""

        TOPIC = "okr.KPI.Archived"
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Freeze the KPI."""
            kpi: KPI = aggregate
            kpi._archived = True

    def __init__(
        self,
        *,
        name: str,
        unit_kind: str,
        currency: str | None,
        unit_label: str | None,
        direction: str,
        green: Decimal,
        red: Decimal,
        frequency_days: int,
        owner: str,
        description: str,
    ) -> None:
        self._name = name
        self._unit_kind = unit_kind
        self._currency = currency
        self._unit_label = unit_label
        self._direction = direction
        self._green = green
        self._red = red
        self._frequency_days = frequency_days
        self._owner = owner
        self._description = description
        self._archived = False
        self._measurements: columns.Table = columns.empty(*_MEASUREMENT_COLUMNS)
        self._linked: dict[str, bool] = {}

    @classmethod
    def create(
        cls,
        *,
        name: str,
        direction: Direction | str,
        green: Decimal | int | str,
        red: Decimal | int | str,
        frequency_days: int,
        owner: str,
        unit: Unit | None = None,
        description: str = "",
        id: UUID | None = None,  # client-supplied id (the library's keyword)
    ) -> KPI:
        """Define a KPI; thresholds must be ordered for the direction."""
        way = values.choice(Direction, direction, "direction")
        good, bad = _thresholds(way, green, red)
        kind = unit or Unit()
        return cls._create(
            cls.Created,
            id=id,
            name=values.title(name, "name"),
            unit_kind=kind.kind.value,
            currency=kind.currency,
            unit_label=kind.label,
            direction=way.value,
            green=good,
            red=bad,
            frequency_days=_frequency(frequency_days),
            owner=values.principal(owner, "owner"),
            description=values.note(description, "description"),
        )

    def change_thresholds(
        self, *, green: Decimal | int | str, red: Decimal | int | str, reason: str, author: str
    ) -> None:
        """Move the green/red thresholds, with a reason (to where they stand: refused, as a
        direction or a measurement left as it is)."""
        self._check_active()
        good, bad = _thresholds(self.direction, green, red)
        if (good, bad) == (self._green, self._red):
            raise InvalidValueError(
                f"the thresholds are green {good} and red {bad} already: a move changes one",
                field="green",
                rule="unchanged",
            )
        self.trigger_event(
            self.ThresholdsChanged,
            green=good,
            red=bad,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def change_direction(
        self,
        *,
        direction: Direction | str,
        green: Decimal | int | str,
        red: Decimal | int | str,
        reason: str,
        author: str,
        fed: Sequence[tuple[str, KRKind]] = (),
    ) -> None:
        """Turn which way is better, with a reason and green/red thresholds ordered for
        the new direction (the old ones never are, unless equal). Its unit never changes:
        its values were measured in it.

        `fed`: the title and kind of each key result it feeds in a cycle not closed, those
        of an archived objective too (restored, it is fed again). One
        that increases or decreases it the way that turns worse refuses the turn: a
        recovery key result moves its KPI towards health, and turned under it, it would
        aim to make it worse, its target and progress unsaid wrong. Its way is its owner's
        to set (unlink it, or archive it and add one that goes the new way), not one the
        turn can invent: a decrease needs a target below its start, which nobody gave."""
        self._check_active()
        way = values.choice(Direction, direction, "direction")
        if way is self.direction:
            raise InvalidValueError(
                f"the KPI is {way.value} already", field="direction", rule="unchanged"
            )
        good, bad = _thresholds(way, green, red)
        against = [(title, kind) for title, kind in fed if aims_against(kind, way)]
        if against:
            raise FedAgainstError(
                f"the KPI feeds key results of cycles not closed that {against[0][1].value} it"
                f" ({', '.join(repr(title) for title, _ in against)}): with"
                f" {way.value.replace('_', ' ')} they would aim to make it worse; unlink them"
                " from the KPI first (one whose objective is archived: restore that first), or"
                " archive them and add key results that go its new way",
                field="direction",
                key_results=tuple(title for title, _ in against),
            )
        self.trigger_event(
            self.DirectionChanged,
            direction=way.value,
            green=good,
            red=bad,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def check_unit(self, unit: Unit) -> None:
        """Refuse another unit than its own: its values were measured in it (a KPI of hours
        told it is of euros would read each hour as a euro). A KPI in another unit is
        another KPI: made anew, it feeds the key results of that unit."""
        if unit != self.unit:
            raise InvalidValueError(
                f"a KPI's unit does not change: its values were measured in {self.unit.kind.value}"
                " (make a new KPI in the other unit, and feed its key results from it)",
                field="unit",
                rule="unit_fixed",
            )

    def record_measurement(
        self,
        *,
        value: Decimal | int | str,
        on: date,
        author: str,
        source: CheckInSource | str = CheckInSource.MANUAL,
        note: str = "",
        measurement_id: UUID | None = None,
        latest_on: date | None = None,
    ) -> UUID:
        """Record a value for a business date, not after ``latest_on`` when given (the
        caller's today); returns the measurement id."""
        self._check_active()
        new_id = values.new_id(measurement_id, "measurement_id")
        if self.has_measurement(new_id):
            raise DuplicateIdError("measurement id already used", field="id")
        self.trigger_event(
            self.Measured,
            measurement_id=new_id,
            value=values.in_unit(values.measured(value, "value"), self._unit_kind, "value"),
            on=values.business_date(on, "on", latest_on),
            author=values.principal(author, "author"),
            source=values.choice(CheckInSource, source, "source").value,
            note=values.note(note),
        )
        return new_id

    def correct_measurement(
        self,
        *,
        measurement_id: UUID,
        value: Decimal | int | str,
        reason: str,
        author: str,
        note: str | None = None,
    ) -> None:
        """Restate a recorded measurement's value or note, with a reason (``note`` not
        given: it keeps its note), as a check-in's correction restates a check-in."""
        self._check_active()
        index = columns.find(self._measurements, measurement_id)
        if index is None:
            raise UnknownMeasurementError("no such measurement", field="measurement_id")
        new_value = values.in_unit(values.measured(value, "value"), self._unit_kind, "value")
        kept = columns.cell(self._measurements, "note", index)
        new_note = kept if note is None else values.note(note)
        if new_value == Decimal(columns.cell(self._measurements, "value", index)) and (
            new_note == kept
        ):
            raise InvalidValueError(
                f"the measurement says {new_value} already, with this note: a correction"
                " changes its value or note",
                field="value",
                rule="unchanged",
            )
        self.trigger_event(
            self.MeasurementCorrected,
            measurement_id=measurement_id,
            value=new_value,
            note=new_note,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
        )

    def link_key_result(self, *, key_result_id: UUID, author: str) -> None:
        """Feed a key result with this KPI's measurements (idempotent: linked stays linked)."""
        self._check_active()
        if str(key_result_id) in self._linked:
            return
        self.trigger_event(
            self.KeyResultLinked,
            key_result_id=key_result_id,
            author=values.principal(author, "author"),
        )

    def unlink_key_result(self, *, key_result_id: UUID, author: str) -> None:
        """Stop feeding a key result (nothing recorded when it was not linked)."""
        if str(key_result_id) not in self._linked:
            return
        self.trigger_event(
            self.KeyResultUnlinked,
            key_result_id=key_result_id,
            author=values.principal(author, "author"),
        )

    def rename(self, *, name: str, author: str) -> None:
        """Change the name."""
        self._check_active()
        new = values.title(name, "name")
        self.trigger_event(self.Renamed, name=new, author=values.principal(author, "author"))

    def change_owner(self, *, owner: str, author: str) -> None:
        """Hand the KPI to another owner."""
        self._check_active()
        new = values.principal(owner, "owner")
        self.trigger_event(self.OwnerChanged, owner=new, author=values.principal(author, "author"))

    def change_frequency(self, *, frequency_days: int, author: str) -> None:
        """Measure the KPI every `frequency_days` days from now on (whether it is overdue is
        then counted by the new frequency)."""
        self._check_active()
        self.trigger_event(
            self.FrequencyChanged,
            frequency_days=_frequency(frequency_days),
            author=values.principal(author, "author"),
        )

    def archive(self, *, reason: str, author: str) -> None:
        """Retire the KPI, with a reason."""
        self._check_active()
        why = values.reason(reason)
        self.trigger_event(self.Archived, reason=why, author=values.principal(author, "author"))

    def _check_active(self) -> None:
        if self._archived:
            raise ArchivedError("the KPI is archived", field="kpi_id")

    @property
    def name(self) -> str:
        """Current name."""
        return self._name

    @property
    def unit(self) -> Unit:
        """Unit of the measured values."""
        return Unit(UnitKind(self._unit_kind), self._currency, self._unit_label)

    @property
    def direction(self) -> Direction:
        """Which way is better."""
        return Direction(self._direction)

    @property
    def green(self) -> Decimal:
        """Green at or past this value."""
        return self._green

    @property
    def red(self) -> Decimal:
        """Red past this value."""
        return self._red

    @property
    def frequency_days(self) -> int:
        """Expected days between measurements."""
        return self._frequency_days

    @property
    def owner(self) -> str:
        """Owner (an opaque principal reference)."""
        return self._owner

    @property
    def description(self) -> str:
        """Description ("" when none)."""
        return self._description

    @property
    def is_archived(self) -> bool:
        """True once archived."""
        return self._archived

    @property
    def linked_key_results(self) -> list[UUID]:
        """Key results this KPI feeds, in the order they were linked."""
        return [UUID(key) for key in self._linked]

    @property
    def measurements(self) -> Mapping[UUID, Measurement]:
        """Every measurement as it stands after corrections, by id in recording order.

        Unpacked on first read: ``len`` and ``in`` cost next to nothing.
        """
        return columns.Rows(self._measurements, _measurement)

    def has_measurement(self, measurement_id: UUID) -> bool:
        """Whether a measurement with this id was recorded."""
        return columns.find(self._measurements, measurement_id) is not None

    @property
    def latest(self) -> Measurement | None:
        """Measurement with the latest date (ties: the one recorded last)."""
        index = self._latest_index()
        if index is None:
            return None
        cells = columns.row(self._measurements, index)
        return _measurement(UUID(hex=cells["id"]), cells)

    @property
    def latest_value(self) -> Decimal | None:
        """Value of the latest measurement, None without one."""
        index = self._latest_index()
        return None if index is None else Decimal(columns.cell(self._measurements, "value", index))

    @property
    def latest_on(self) -> date | None:
        """Date of the latest measurement, None without one."""
        index = self._latest_index()
        if index is None:
            return None
        return date.fromisoformat(columns.cell(self._measurements, "on", index))

    def _latest_index(self) -> int | None:
        return columns.last_max(self._measurements["on"])

    @property
    def health(self) -> Health | None:
        """Health of the latest value (None without a measurement)."""
        value = self.latest_value
        if value is None:
            return None
        return progress.kpi_health(self.direction, self._green, self._red, value)


def aims_against(kind: KRKind, direction: Direction) -> bool:
    """Whether a key result of this kind, fed by a KPI of this direction, aims to make it
    worse: an increase where lower is better, a decrease where higher is. A KPI feeds a
    recovery key result, which moves it towards health (GLOSSARY: KPI); one the other way
    has its target and progress counted against the KPI, said nowhere. Guardrails hold a
    line either way, and no KPI feeds a milestone."""
    worse = KRKind.INCREASE if direction is Direction.LOWER_IS_BETTER else KRKind.DECREASE
    return kind is worse


def _thresholds(
    direction: Direction, green: Decimal | int | str, red: Decimal | int | str
) -> tuple[Decimal, Decimal]:
    good = values.measured(green, "green")
    bad = values.measured(red, "red")
    progress.check_thresholds(direction, good, bad)
    return good, bad


def _frequency(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_FREQUENCY_DAYS:
        raise InvalidValueError(
            f"frequency_days must be 1..{MAX_FREQUENCY_DAYS}",
            field="frequency_days",
            rule="out_of_range",
        )
    return days


def _measurement_row(
    measurement_id: UUID,
    on: date,
    value: Decimal,
    author: str,
    source: str,
    note: str,
    recorded_at: datetime,
) -> dict[str, str]:
    """The cells of a measurement as first recorded."""
    text = str(value)
    return {
        "id": measurement_id.hex,
        "on": on.isoformat(),
        "value": text,
        "original_value": text,
        "corrected": "0",
        "author": author,
        "source": source,
        "note": note,
        "recorded_at": columns.instant_text(recorded_at),
    }


def _measurement(row_id: UUID, cells: dict[str, str]) -> Measurement:
    return Measurement(
        measurement_id=row_id,
        value=Decimal(cells["value"]),
        on=date.fromisoformat(cells["on"]),
        author=cells["author"],
        source=CheckInSource(cells["source"]),
        note=cells["note"],
        original_value=Decimal(cells["original_value"]),
        corrected=cells["corrected"] == "1",
        recorded_at=columns.instant(cells["recorded_at"]),
    )
