"""The KPI aggregate: an ongoing health metric with thresholds and dated measurements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import progress, values
from domain.errors import (
    ArchivedError,
    DuplicateIdError,
    InvalidValueError,
    UnknownMeasurementError,
)
from domain.values import CheckInSource, Direction, Health, Unit, UnitKind

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


class _MeasurementRecord(TypedDict):
    value: Decimal
    on: date
    author: str
    source: str
    note: str
    original_value: Decimal
    corrected: bool
    recorded_at: datetime
    seq: int


class KPI(Aggregate):
    """A business-as-usual metric: direction, green/red thresholds, update frequency."""

    TOPIC = "okr.KPI"

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
            kpi._measurements[str(self.measurement_id)] = _MeasurementRecord(
                value=self.value,
                on=self.on,
                author=self.author,
                source=self.source,
                note=self.note,
                original_value=self.value,
                corrected=False,
                recorded_at=self.timestamp,
                seq=len(kpi._measurements),
            )

    class MeasurementCorrected(Aggregate.Event):
        """A measurement's value was corrected, with a reason; the original stays in history."""

        TOPIC = "okr.KPI.MeasurementCorrected"
        measurement_id: UUID
        value: Decimal
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Replace the effective value of the measurement."""
            kpi: KPI = aggregate
            record = kpi._measurements[str(self.measurement_id)]
            record["value"] = self.value
            record["corrected"] = True

    class Renamed(Aggregate.Event):
        """The name changed."""

        TOPIC = "okr.KPI.Renamed"
        name: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new name."""
            kpi: KPI = aggregate
            kpi._name = self.name

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
        self._measurements: dict[str, _MeasurementRecord] = {}
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
        """Move the green/red thresholds, with a reason."""
        self._check_active()
        good, bad = _thresholds(self.direction, green, red)
        self.trigger_event(
            self.ThresholdsChanged,
            green=good,
            red=bad,
            reason=values.reason(reason),
            author=values.principal(author, "author"),
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
    ) -> UUID:
        """Record a value for a business date; returns the measurement id."""
        self._check_active()
        new_id = values.new_id(measurement_id, "measurement_id")
        if str(new_id) in self._measurements:
            raise DuplicateIdError("measurement id already used", field="measurement_id")
        self.trigger_event(
            self.Measured,
            measurement_id=new_id,
            value=values.measured(value, "value"),
            on=values.business_date(on, "on"),
            author=values.principal(author, "author"),
            source=values.choice(CheckInSource, source, "source").value,
            note=values.note(note),
        )
        return new_id

    def correct_measurement(
        self, *, measurement_id: UUID, value: Decimal | int | str, reason: str, author: str
    ) -> None:
        """Correct a recorded measurement's value, with a reason."""
        self._check_active()
        if str(measurement_id) not in self._measurements:
            raise UnknownMeasurementError("no such measurement", field="measurement_id")
        self.trigger_event(
            self.MeasurementCorrected,
            measurement_id=measurement_id,
            value=values.measured(value, "value"),
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

    def archive(self, *, reason: str, author: str) -> None:
        """Retire the KPI, with a reason."""
        self._check_active()
        why = values.reason(reason)
        self.trigger_event(self.Archived, reason=why, author=values.principal(author, "author"))

    def _check_active(self) -> None:
        if self._archived:
            raise ArchivedError("the KPI is archived", field="kpi_id")

    def is_stale(self, today: date) -> bool:
        """True when no measurement is dated within ``frequency_days`` before ``today``."""
        latest = self.latest_on
        return latest is None or (today - latest).days > self._frequency_days

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
    def measurements(self) -> dict[UUID, Measurement]:
        """Every measurement as it stands after corrections, in recording order."""
        return {UUID(key): _measurement(key, rec) for key, rec in self._measurements.items()}

    @property
    def latest(self) -> Measurement | None:
        """Measurement with the latest date (ties: the one recorded last)."""
        if not self._measurements:
            return None
        key, rec = max(self._measurements.items(), key=lambda kv: (kv[1]["on"], kv[1]["seq"]))
        return _measurement(key, rec)

    @property
    def latest_value(self) -> Decimal | None:
        """Value of the latest measurement, None without one."""
        latest = self.latest
        return None if latest is None else latest.value

    @property
    def latest_on(self) -> date | None:
        """Date of the latest measurement, None without one."""
        latest = self.latest
        return None if latest is None else latest.on

    @property
    def health(self) -> Health | None:
        """Health of the latest value (None without a measurement)."""
        value = self.latest_value
        if value is None:
            return None
        return progress.kpi_health(self.direction, self._green, self._red, value)


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


def _measurement(key: str, rec: _MeasurementRecord) -> Measurement:
    return Measurement(
        measurement_id=UUID(key),
        value=rec["value"],
        on=rec["on"],
        author=rec["author"],
        source=CheckInSource(rec["source"]),
        note=rec["note"],
        original_value=rec["original_value"],
        corrected=rec["corrected"],
        recorded_at=rec["recorded_at"],
    )
