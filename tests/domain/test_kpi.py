"""KPIs: thresholds per direction, dated measurements, corrections, health and staleness."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain import KPI, Direction, Health, KRKind, Unit, UnitKind
from domain.errors import (
    ArchivedError,
    DomainError,
    DuplicateIdError,
    FedAgainstError,
    InvalidDateError,
    InvalidTitleError,
    InvalidValueError,
    ReasonRequiredError,
    ThresholdError,
    UnknownMeasurementError,
)
from tests.domain import AUTHOR, a_kpi, assert_nothing_recorded, settled

D = Decimal


def test_lower_is_better_kpi_health_follows_the_latest_measurement_by_date() -> None:
    """Response time 19 h is green; a late-entered older 26 h must not turn it red."""
    kpi = a_kpi()
    assert kpi.direction is Direction.LOWER_IS_BETTER
    unmeasured = kpi.health
    kpi.record_measurement(value=D(19), on=date(2027, 2, 1), author=AUTHOR)
    kpi.record_measurement(value=D(26), on=date(2027, 1, 1), author=AUTHOR)
    assert unmeasured is None
    assert (kpi.latest_value, kpi.health) == (D(19), Health.GREEN)
    kpi.record_measurement(value=D(22), on=date(2027, 2, 8), author=AUTHOR, source="api")
    assert kpi.health is Health.AMBER


def test_thresholds_in_the_wrong_order_are_rejected() -> None:
    """Lower-is-better needs red >= green; the opposite paints every value wrongly."""
    with pytest.raises(ThresholdError):
        a_kpi(green=D(24), red=D(20))
    with pytest.raises(ThresholdError):
        a_kpi(direction="higher_is_better", green=D(70), red=D(85))


def test_threshold_change_needs_a_reason_and_the_right_order() -> None:
    """Moving the bar is a decision someone owns and explains."""
    kpi = a_kpi()
    version = settled(kpi)
    with pytest.raises(ReasonRequiredError):
        kpi.change_thresholds(green=D(18), red=D(22), reason="", author=AUTHOR)
    with pytest.raises(ThresholdError):
        kpi.change_thresholds(green=D(22), red=D(18), reason="r", author=AUTHOR)
    assert_nothing_recorded(kpi, version)
    kpi.change_thresholds(green=D(18), red=D(22), reason="new SLA", author=AUTHOR)
    assert (kpi.green, kpi.red) == (D(18), D(22))


def test_thresholds_moved_to_where_they_stand_are_refused() -> None:
    """Thresholds "moved" to the values they have (20.0 for 20 too) were recorded, with
    their reason: the KPI's history said "green 20 → 20, red 24 → 24" as a decision taken.
    It is refused naming green, as a direction or a measurement left as it is, and nothing
    is recorded."""
    kpi = a_kpi(green=D(20), red=D(24))
    version = settled(kpi)
    with pytest.raises(InvalidValueError) as refused:
        kpi.change_thresholds(green=D("20.0"), red=D(24), reason="same", author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == ("green", "unchanged")
    assert_nothing_recorded(kpi, version)
    kpi.change_thresholds(green=D(20), red=D(25), reason="red a bit later", author=AUTHOR)
    assert (kpi.green, kpi.red) == (D(20), D(25))


def test_a_kpi_made_the_wrong_way_round_is_turned_with_thresholds_and_a_reason() -> None:
    """A satisfaction score made "lower is better" by mistake showed every good month red,
    and could only be retired and made again, its measurements and links lost. Its
    direction turns with a reason and thresholds ordered for it (each refusal names its
    field, nothing recorded); its values stay, their health follows."""
    kpi = a_kpi(direction="lower_is_better", green=D(60), red=D(80))
    kpi.record_measurement(value=D(85), on=date(2027, 1, 4), author=AUTHOR)
    assert kpi.health is Health.RED
    version = settled(kpi)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"direction": "sideways", "green": D(80), "red": D(60), "reason": "r"}, "direction"),
        ({"direction": "lower_is_better", "green": D(60), "red": D(80), "reason": "r"},
         "direction"),
        ({"direction": "higher_is_better", "green": D(60), "red": D(80), "reason": "r"}, "red"),
        ({"direction": "higher_is_better", "green": D(80), "red": D(60), "reason": " "},
         "reason"),
        ({"direction": "higher_is_better", "green": "many", "red": D(60), "reason": "r"},
         "green"),
    ]  # fmt: skip
    for given, field in refusals:
        with pytest.raises(DomainError) as refused:
            kpi.change_direction(**given, author=AUTHOR)
        assert refused.value.field == field, given
    assert_nothing_recorded(kpi, version)
    kpi.change_direction(
        direction="higher_is_better", green=D(80), red=D(60), reason="made the wrong way",
        author=AUTHOR,
    )  # fmt: skip
    # One tuple, not `kpi.health is Health.GREEN`: mypy would keep the RED asserted above.
    assert (kpi.direction, kpi.green, kpi.red, kpi.health) == (
        Direction.HIGHER_IS_BETTER, D(80), D(60), Health.GREEN
    )  # fmt: skip
    assert kpi.measurements[next(iter(kpi.measurements))].value == D(85)
    (event,) = kpi.collect_events()
    assert isinstance(event, KPI.DirectionChanged) and event.reason == "made the wrong way"


def test_a_kpi_is_not_turned_against_the_key_results_it_feeds() -> None:
    """A response time KPI turned "higher is better" left the key result that decreases it
    (24 h to 19.2 h) aiming to make it worse, said nowhere: the turn is refused, naming
    direction and the key results (their way is their owners' to change, not one the turn
    can invent); those that go the new way, guardrails and milestones do not stop it."""
    kpi = a_kpi()  # lower is better
    version = settled(kpi)
    turn: dict[str, Any] = {
        "direction": "higher_is_better", "green": D(24), "red": D(20), "reason": "r"
    }  # fmt: skip
    fed = [("Tempo di risposta", KRKind.DECREASE), ("Più clienti", KRKind.INCREASE),
           ("Mai sopra 30", KRKind.STAY_BELOW), ("Tempo di attesa", KRKind.DECREASE)]  # fmt: skip
    with pytest.raises(FedAgainstError) as refused:
        kpi.change_direction(**turn, author=AUTHOR, fed=fed)
    assert (refused.value.field, refused.value.rule) == ("direction", "feeds_key_results")
    assert "('Tempo di risposta', 'Tempo di attesa')" in refused.value.message
    assert_nothing_recorded(kpi, version)
    kpi.change_direction(**turn, author=AUTHOR, fed=fed[1:3])
    assert kpi.direction is Direction.HIGHER_IS_BETTER


def test_measurement_correction_keeps_the_original() -> None:
    """Measurements are corrected with a reason, never overwritten silently."""
    kpi = a_kpi()
    measurement_id = kpi.record_measurement(value=D(190), on=date(2027, 1, 4), author=AUTHOR)
    version = settled(kpi)
    with pytest.raises(UnknownMeasurementError):
        kpi.correct_measurement(measurement_id=uuid4(), value=D(19), reason="r", author=AUTHOR)
    with pytest.raises(ReasonRequiredError):
        kpi.correct_measurement(measurement_id=measurement_id, value=D(19), reason="", author="a")
    assert_nothing_recorded(kpi, version)
    kpi.correct_measurement(measurement_id=measurement_id, value=D(19), reason="x10", author="a")
    measurement = kpi.measurements[measurement_id]
    assert (measurement.value, measurement.original_value, measurement.corrected) == (
        D(19),
        D(190),
        True,
    )
    assert isinstance(kpi.collect_events()[0], KPI.MeasurementCorrected)
    version = settled(kpi)
    with pytest.raises(InvalidValueError) as err:  # 19 -> 19 is no correction
        kpi.correct_measurement(
            measurement_id=measurement_id, value="19.00", reason="r", author="a"
        )
    assert (err.value.field, err.value.rule) == ("value", "unchanged")
    assert_nothing_recorded(kpi, version)


def test_a_measurement_correction_restates_its_note() -> None:
    """A check-in's correction could fix its note, a measurement's could not: a note that
    named the wrong source stayed for good. Given, the note is the measurement's from
    then on (the value may stay); not given, it keeps its note; the same note and value
    are no correction."""
    kpi = a_kpi()
    measured = kpi.record_measurement(
        value=D(19), on=date(2027, 1, 4), author=AUTHOR, note="dal gestionale"
    )
    kpi.correct_measurement(
        measurement_id=measured, value=D(19), note="  dal CRM ", reason="fonte", author="a"
    )
    assert (kpi.measurements[measured].note, kpi.measurements[measured].value) == (
        "dal CRM",
        D(19),
    )
    (corrected,) = [e for e in kpi.collect_events() if isinstance(e, KPI.MeasurementCorrected)]
    assert corrected.note == "dal CRM"
    kpi.correct_measurement(measurement_id=measured, value=D(20), reason="x", author="a")
    assert kpi.measurements[measured].note == "dal CRM"  # kept
    version = settled(kpi)
    with pytest.raises(InvalidValueError) as err:
        kpi.correct_measurement(
            measurement_id=measured, value=D(20), note="dal CRM", reason="r", author="a"
        )
    assert (err.value.field, err.value.rule) == ("value", "unchanged")
    with pytest.raises(InvalidTitleError) as too_long:
        kpi.correct_measurement(
            measurement_id=measured, value=D(20), note="x" * 2001, reason="r", author="a"
        )
    assert too_long.value.field == "note"
    assert_nothing_recorded(kpi, version)
    kpi.correct_measurement(measurement_id=measured, value=D(20), note="", reason="r", author="a")
    assert kpi.measurements[measured].note == ""  # a note taken away


def test_a_measurement_of_negative_hours_is_refused() -> None:
    """A response time of -3 h cannot be: refused on value, recorded or corrected."""
    kpi = a_kpi(unit=Unit(UnitKind.HOURS))
    version = settled(kpi)
    with pytest.raises(InvalidValueError) as err:
        kpi.record_measurement(value=D(-3), on=date(2027, 1, 4), author=AUTHOR)
    assert (err.value.field, err.value.rule) == ("value", "negative")
    assert_nothing_recorded(kpi, version)
    measured = kpi.record_measurement(value=D(3), on=date(2027, 1, 4), author=AUTHOR)
    with pytest.raises(InvalidValueError):
        kpi.correct_measurement(measurement_id=measured, value=D(-3), reason="r", author="a")


def test_a_measurement_of_a_day_still_to_come_is_refused() -> None:
    """As for a check-in: not after the caller's latest day; on it, accepted."""
    kpi = a_kpi()
    version = settled(kpi)
    with pytest.raises(InvalidDateError) as err:
        kpi.record_measurement(
            value=D(19), on=date(2027, 2, 2), author=AUTHOR, latest_on=date(2027, 2, 1)
        )
    assert (err.value.field, err.value.rule) == ("on", "in_the_future")
    assert_nothing_recorded(kpi, version)
    kpi.record_measurement(
        value=D(19), on=date(2027, 2, 1), author=AUTHOR, latest_on=date(2027, 2, 1)
    )
    assert kpi.latest_value == D(19)


def test_duplicate_measurement_id_is_refused() -> None:
    """A retried push with the same id must not count twice."""
    kpi = a_kpi()
    measurement_id = uuid4()
    kpi.record_measurement(
        value=1, on=date(2027, 1, 4), author=AUTHOR, measurement_id=measurement_id
    )
    with pytest.raises(DuplicateIdError):
        kpi.record_measurement(
            value=1, on=date(2027, 1, 4), author=AUTHOR, measurement_id=measurement_id
        )


@pytest.mark.parametrize("bad", [0, 367, True, "7"])
def test_frequency_must_be_a_day_count_within_a_year(bad: object) -> None:
    """Staleness needs a sane period."""
    with pytest.raises(InvalidValueError) as err:
        a_kpi(frequency_days=bad)
    assert err.value.field == "frequency_days"


def test_bad_measurement_value_is_refused() -> None:
    """NaN from a broken integration must not turn a KPI into nonsense."""
    kpi = a_kpi()
    version = settled(kpi)
    with pytest.raises(InvalidValueError) as err:
        # A float, as a broken integration sends it: the point of the test.
        kpi.record_measurement(value=float("nan"), on=date(2027, 1, 4), author=AUTHOR)  # type: ignore[arg-type]
    assert err.value.field == "value"
    assert_nothing_recorded(kpi, version)


def test_archived_kpi_cannot_change() -> None:
    """Archiving is final for measurements, thresholds and names."""
    kpi = a_kpi()
    kpi.rename(name="Tempo di prima risposta", author=AUTHOR)
    kpi.archive(reason="merged", author=AUTHOR)
    version = settled(kpi)
    with pytest.raises(ArchivedError):
        kpi.record_measurement(value=1, on=date(2027, 1, 4), author=AUTHOR)
    with pytest.raises(ArchivedError):
        kpi.rename(name="x", author=AUTHOR)
    assert_nothing_recorded(kpi, version)
    assert kpi.name == "Tempo di prima risposta" and kpi.is_archived


def test_a_kpi_changes_hands_and_frequency_until_it_is_archived() -> None:
    """A person leaves, a KPI reviewed weekly becomes monthly: both are recorded with who
    changed them; a frequency outside 1..366 days and a blank owner change nothing, and an
    archived KPI takes neither."""
    kpi = a_kpi()
    kpi.change_owner(owner="user:anna", author=AUTHOR)
    kpi.change_frequency(frequency_days=30, author=AUTHOR)
    assert (kpi.owner, kpi.frequency_days) == ("user:anna", 30)
    version = settled(kpi)
    for days, field in ((0, "frequency_days"), (367, "frequency_days"), (True, "frequency_days")):
        with pytest.raises(InvalidValueError) as err:
            kpi.change_frequency(frequency_days=days, author=AUTHOR)
        assert err.value.field == field
    with pytest.raises(InvalidTitleError) as blank:
        kpi.change_owner(owner=" ", author=AUTHOR)
    assert blank.value.field == "owner"
    assert_nothing_recorded(kpi, version)
    kpi.archive(reason="merged", author=AUTHOR)
    version = settled(kpi)
    with pytest.raises(ArchivedError):
        kpi.change_owner(owner="user:marco", author=AUTHOR)
    with pytest.raises(ArchivedError):
        kpi.change_frequency(frequency_days=7, author=AUTHOR)
    assert_nothing_recorded(kpi, version)


def test_linking_a_key_result_is_remembered_once_and_can_be_undone() -> None:
    """The KPI knows which key results its measurements feed, so a measurement reaches them."""
    from uuid import uuid4

    kpi = KPI.create(
        name="Tempo di risposta", direction="lower_is_better", green=20, red=26,
        frequency_days=7, owner="anna",
    )  # fmt: skip
    kr_id = uuid4()
    kpi.link_key_result(key_result_id=kr_id, author="anna")
    kpi.link_key_result(key_result_id=kr_id, author="anna")
    assert kpi.linked_key_results == [kr_id]
    kpi.unlink_key_result(key_result_id=kr_id, author="anna")
    assert kpi.linked_key_results == []
    assert [type(e).__name__ for e in kpi.collect_events()][1:] == [
        "KeyResultLinked",
        "KeyResultUnlinked",
    ]
