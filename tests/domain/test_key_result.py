"""Key result creation rules, check-ins and the progress they produce."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from domain import KeyResult, KRKind, Status, Unit, UnitKind
from domain.errors import (
    ArchivedError,
    ConfidenceRangeError,
    CrossCycleAlignmentError,
    CycleClosedError,
    DomainError,
    DuplicateIdError,
    FedAgainstError,
    InvalidDateError,
    InvalidTitleError,
    InvalidValueError,
    StartEqualsTargetError,
    TargetDirectionError,
)
from domain.key_result import _check_in_date
from tests.domain import (
    AUTHOR,
    Q1_END,
    Q1_START,
    a_cycle,
    a_key_result,
    a_kpi,
    an_objective,
    assert_nothing_recorded,
    settled,
)

D = Decimal
JAN_15 = date(2027, 1, 15)


def test_seed_key_result_stores_the_relative_target_as_absolute() -> None:
    """-20 % of 24 h is stored as 19.2 h, with the -20 % kept for display."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    assert (kr.kind, kr.start, kr.target, kr.target_relative_percent) == (
        KRKind.DECREASE,
        D(24),
        D("19.2"),
        D(-20),
    )
    assert kr.due_on == Q1_END
    assert kr.unit == Unit(UnitKind.HOURS)
    (created,) = kr.collect_events()
    assert isinstance(created, KeyResult.Created)
    assert (created.unit_kind, created.currency, created.unit_label) == ("hours", None, None)


def test_seed_key_result_at_21_hours_is_0_625_and_on_track_early() -> None:
    """The seed scenario end to end: 24 h -> 19.2 h, at 21 h progress is 0.625."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.record_check_in(cycle=cycle, value=D(21), on=date(2027, 2, 1), author=AUTHOR, confidence=7)
    assert kr.progress == D("0.625")
    assert kr.current_confidence == 7
    assert kr.status(window_start=Q1_START, on=date(2027, 2, 1)) is Status.ON_TRACK
    assert kr.status(window_start=Q1_START, on=date(2027, 3, 25)) is Status.OFF_TRACK


def test_no_check_in_means_not_started() -> None:
    """Before the first value there is no progress to show, only 'not started'."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    assert kr.progress is None and kr.current_value is None
    assert kr.status(window_start=Q1_START, on=JAN_15) is Status.NOT_STARTED


@pytest.mark.parametrize(
    ("kind", "start", "target", "error"),
    [
        ("increase", 5, 5, StartEqualsTargetError),
        ("decrease", "4.5", "4.50", StartEqualsTargetError),
        ("increase", 70, 60, TargetDirectionError),
        ("decrease", 24, 30, TargetDirectionError),
    ],
)
def test_ranged_key_result_needs_a_target_on_the_right_side(
    kind: str, start: object, target: object, error: type[Exception]
) -> None:
    """'Lower is better' computed wrongly is the most reported OKR bug; stop it at the door."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    version = settled(objective)
    with pytest.raises(error) as err:
        a_key_result(cycle, objective, kind=kind, start=start, target=target, target_percent=None)
    assert getattr(err.value, "field", None) == "target"
    assert_nothing_recorded(objective, version)


def test_zero_percent_relative_target_equals_start() -> None:
    """+0 % is a flat line, the same mistake as s = t."""
    with pytest.raises(StartEqualsTargetError):
        a_key_result(a_cycle(), target_percent=0)


def test_a_target_relative_to_a_start_of_zero_says_why_it_cannot_be() -> None:
    """+20 % of 0 is 0: the refusal names the percentage and says to give the target (it
    said "start equals target: use a guardrail")."""
    with pytest.raises(InvalidValueError) as err:
        a_key_result(a_cycle(), kind="increase", start=0, target_percent=20)
    assert (err.value.field, err.value.rule) == ("target_percent", "relative_to_zero")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target": D("19.2")}, "target"),
        ({"target_percent": None}, "target"),
        ({"start": None}, "start"),
        ({"kind": "increase", "start": None, "target": 10, "target_percent": None}, "start"),
        ({"kind": "sideways"}, "kind"),
    ],
)
def test_target_must_be_given_exactly_once_with_a_start(
    overrides: dict[str, Any], field: str
) -> None:
    """Absolute or relative, never both, and a relative target needs its baseline."""
    with pytest.raises(InvalidValueError) as err:
        a_key_result(a_cycle(), **overrides)
    assert err.value.field == field


def test_milestone_implies_start_zero_target_one() -> None:
    """A milestone is done or not done; its values are 0 and 1."""
    cycle = a_cycle()
    kr = a_key_result(
        cycle,
        kind="milestone",
        title="Nuovo gestionale documentale",
        start=None,
        target_percent=None,
    )
    assert (kr.start, kr.target) == (D(0), D(1))
    version = settled(kr)
    with pytest.raises(InvalidValueError) as err:
        kr.record_check_in(cycle=cycle, value=D("0.5"), on=JAN_15, author=AUTHOR)
    assert err.value.rule == "milestone_value"
    assert_nothing_recorded(kr, version)
    kr.record_check_in(cycle=cycle, value=1, on=JAN_15, author=AUTHOR)
    assert kr.progress == 1


def test_milestone_with_another_target_is_rejected() -> None:
    """Start and target of a milestone are fixed; 5 would make 'done' unreachable."""
    with pytest.raises(InvalidValueError):
        a_key_result(a_cycle(), kind="milestone", start=None, target=5, target_percent=None)


def test_guardrail_takes_a_threshold_and_scores_the_share_met() -> None:
    """Satisfaction must stay at or above 4.5: the cycle score is the share of check-ins met."""
    cycle = a_cycle()
    kr = a_key_result(
        cycle, kind="stay_above", start=None, target=D("4.5"), target_percent=None, unit=None
    )
    for day, value in ((5, "4.6"), (12, "4.4"), (19, "4.5"), (26, "4.7")):
        kr.record_check_in(cycle=cycle, value=value, on=date(2027, 1, day), author=AUTHOR)
    assert kr.guardrail_tally == (3, 4)
    assert kr.score == D("0.75")
    assert kr.progress == 1
    assert kr.status(window_start=Q1_START, on=date(2027, 1, 26)) is Status.ON_TRACK


def test_a_guardrail_day_checked_in_again_counts_once() -> None:
    """The share is of days: a day checked in twice (the chart keeps its last value) is
    one day, with its last value; checking in again could otherwise raise the score."""
    cycle = a_cycle()
    kr = a_key_result(
        cycle, kind="stay_below", start=None, target=D("5"), target_percent=None, unit=None
    )
    for day, value in ((5, "6"), (12, "4"), (12, "7"), (19, "6"), (19, "3"), (19, "2")):
        kr.record_check_in(cycle=cycle, value=value, on=date(2027, 1, day), author=AUTHOR)
    assert kr.guardrail_tally == (1, 3)  # the 5th: 6, not met; the 12th: 7, not; the 19th: 2
    assert kr.score == D(1) / D(3)


def test_due_date_defaults_to_cycle_end_and_must_be_inside_the_cycle() -> None:
    """A KR due after its cycle closes could never be graded on time."""
    cycle = a_cycle()
    assert a_key_result(cycle, due_on=date(2027, 2, 28)).due_on == date(2027, 2, 28)
    with pytest.raises(InvalidDateError) as err:
        a_key_result(cycle, due_on=date(2027, 4, 1))
    assert err.value.field == "due_on"


def test_key_result_cannot_join_an_objective_of_another_cycle() -> None:
    """A KR and its objective are graded together, so they share the cycle."""
    other = an_objective(a_cycle(name="Q2 2027"))
    with pytest.raises(CrossCycleAlignmentError):
        a_key_result(a_cycle(), other)


def test_key_result_cannot_be_added_to_closed_cycle_or_archived_objective() -> None:
    """Closed cycles are locked and archived objectives are final."""
    with pytest.raises(CycleClosedError):
        a_key_result(a_cycle(state="closed"))
    cycle = a_cycle()
    objective = an_objective(cycle)
    objective.archive(reason="obsolete", cycle=cycle, author=AUTHOR)
    with pytest.raises(ArchivedError):
        a_key_result(cycle, objective)


def test_check_in_on_a_closed_cycle_is_refused() -> None:
    """After close only corrections with a reason may change numbers."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    cycle.close(key_result_scores={kr.id: D(0)}, objective_scores={}, closed_by=AUTHOR)
    version = settled(kr)
    with pytest.raises(CycleClosedError):
        kr.record_check_in(cycle=cycle, value=D(20), on=Q1_END, author=AUTHOR)
    assert_nothing_recorded(kr, version)


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"value": float("nan")}, InvalidValueError, "value"),
        ({"value": D("Infinity")}, InvalidValueError, "value"),
        ({"value": D("-Infinity")}, InvalidValueError, "value"),
        ({"value": D("1e20")}, InvalidValueError, "value"),
        ({"confidence": 11}, ConfidenceRangeError, "confidence"),
        ({"note": "n" * 2001}, InvalidTitleError, "note"),
        ({"on": date(2026, 12, 31)}, InvalidDateError, "on"),
        ({"on": date(2027, 5, 2)}, InvalidDateError, "on"),
        ({"source": "email"}, InvalidValueError, "source"),
        ({"author": ""}, InvalidTitleError, "author"),
    ],
)
def test_bad_check_in_is_refused_with_its_field(
    overrides: dict[str, Any], error: type[Exception], field: str
) -> None:
    """API clients push values; garbage must bounce with the field to fix."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    version = settled(kr)
    check_in: dict[str, Any] = {"value": D(21), "on": JAN_15, "author": AUTHOR}
    with pytest.raises(error) as err:
        kr.record_check_in(cycle=cycle, **(check_in | overrides))
    assert getattr(err.value, "field", None) == field
    assert_nothing_recorded(kr, version)


def test_a_target_revision_to_the_target_it_has_is_refused() -> None:
    """A revision moves the target: one to the same value (absolute or as a percentage that
    comes to it) is refused, and nothing is recorded, where it recorded a revision 70 -> 70."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    version = settled(kr)
    for given in ({"target": kr.target}, {"target": str(kr.target) + "0"}):
        with pytest.raises(InvalidValueError) as err:
            kr.revise_target(cycle=cycle, reason="nulla", author=AUTHOR, **given)
        assert (err.value.field, err.value.rule) == ("target", "unchanged")
    assert_nothing_recorded(kr, version)


@pytest.mark.parametrize(
    ("kind", "percent", "rule"),
    [
        ("decrease", "20", "target_direction"),  # 24 h +20 %: 28.8 h, not below 24
        ("increase", "-5", "target_direction"),
        ("decrease", "0", "start_equals_target"),
        ("decrease", "-150", "negative"),  # -12 h
    ],
)
def test_a_relative_target_refused_names_the_percentage(kind: str, percent: str, rule: str) -> None:
    """A target given as a percentage of the start is refused naming target_percent, the
    field the client sent, at creation and in a revision: it named target, which the client
    never sent, so a form or a client could not say which of its fields to set right."""
    cycle = a_cycle()
    with pytest.raises(DomainError) as err:
        a_key_result(cycle, kind=kind, start=24, target_percent=D(percent), target=None)
    assert (err.value.field, err.value.rule) == ("target_percent", rule)
    target = 20 if kind == "decrease" else 30
    kr = a_key_result(cycle, kind=kind, start=24, target=target, target_percent=None)
    version = settled(kr)
    with pytest.raises(DomainError) as err:
        kr.revise_target(cycle=cycle, reason="nulla", author=AUTHOR, target_percent=D(percent))
    assert (err.value.field, err.value.rule) == ("target_percent", rule)
    assert_nothing_recorded(kr, version)


def test_a_revision_to_the_target_it_has_as_a_percentage_names_the_percentage() -> None:
    """-20 % of 24 h is the 19.2 h it has: unchanged, naming target_percent."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    version = settled(kr)
    with pytest.raises(InvalidValueError) as err:
        kr.revise_target(cycle=cycle, reason="nulla", author=AUTHOR, target_percent=D(-20))
    assert (err.value.field, err.value.rule) == ("target_percent", "unchanged")
    assert_nothing_recorded(kr, version)


def test_a_count_or_hours_below_zero_is_refused() -> None:
    """-5 clients, -3 hours: not values a count or a duration can have, refused on the field
    (a KPI at -3 h counted the key result it fed done); a currency may be below 0."""
    cycle = a_cycle()
    for unit_kind, kind, field in (
        (UnitKind.COUNT, "increase", "start"), (UnitKind.HOURS, "decrease", "target")
    ):  # fmt: skip
        given: dict[str, Any] = {"start": D(10), "target": D(20) if kind == "increase" else D(5)}
        with pytest.raises(InvalidValueError) as err:
            a_key_result(cycle, unit=Unit(unit_kind), kind=kind, target_percent=None,
                         **(given | {field: D(-1)}))  # fmt: skip
        assert (err.value.field, err.value.rule) == (field, "negative")
    kr = a_key_result(cycle, unit=Unit(UnitKind.COUNT), kind="increase", start=D(50),
                      target=D(60), target_percent=None)  # fmt: skip
    version = settled(kr)
    with pytest.raises(InvalidValueError) as err:
        kr.record_check_in(cycle=cycle, value=D(-5), on=date(2027, 2, 1), author=AUTHOR)
    assert (err.value.field, err.value.rule) == ("value", "negative")
    assert_nothing_recorded(kr, version)
    kr.record_check_in(cycle=cycle, value=D(0), on=date(2027, 2, 1), author=AUTHOR)
    fed = kr.record_check_in(  # a KPI's value, checked against the KPI's own unit
        cycle=cycle, value=D(-5), on=date(2027, 2, 2), author=AUTHOR, source="kpi"
    )
    kr.correct_check_in(check_in_id=fed, value=D(-6), reason="the KPI's", author=AUTHOR)
    loss = a_key_result(cycle, unit=Unit(UnitKind.CURRENCY, "EUR"), kind="increase",
                        start=D(-1000), target=D(0), target_percent=None)  # fmt: skip
    loss.record_check_in(cycle=cycle, value=D(-400), on=date(2027, 2, 1), author=AUTHOR)


def test_a_correction_that_changes_nothing_is_refused() -> None:
    """A correction restates a check-in: to the value, confidence and note it has ("-5 ->
    -5") it is refused naming value, and nothing is recorded; changing any one of them is
    a correction."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    first = kr.record_check_in(
        cycle=cycle, value=D(21), on=date(2027, 2, 1), author=AUTHOR, confidence=6, note="ok"
    )
    version = settled(kr)
    for given in ({}, {"value": D("21.0")}, {"confidence": 6}, {"note": "ok"}):
        with pytest.raises(InvalidValueError) as err:
            kr.correct_check_in(
                check_in_id=first, reason="nulla", author=AUTHOR, **({"value": D(21)} | given)
            )
        assert (err.value.field, err.value.rule) == ("value", "unchanged")
    assert_nothing_recorded(kr, version)
    kr.correct_check_in(check_in_id=first, value=D(21), confidence=7, reason="r", author=AUTHOR)
    assert kr.check_ins[first].confidence == 7


def test_check_in_may_be_dated_up_to_31_days_after_the_cycle() -> None:
    """March's number is often known in April; it still belongs to Q1."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.record_check_in(cycle=cycle, value=D(20), on=date(2027, 5, 1), author=AUTHOR)
    assert kr.current_value == D(20)


def test_a_check_in_of_a_day_still_to_come_is_refused() -> None:
    """A value is measured: it cannot be of a day after the caller's latest (its today and
    a day more); recorded, it would be the key result's value from now on."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    version = settled(kr)
    with pytest.raises(InvalidDateError) as err:
        kr.record_check_in(
            cycle=cycle, value=D(20), on=date(2027, 2, 12), author=AUTHOR,
            latest_on=date(2027, 2, 11),
        )  # fmt: skip
    assert (err.value.field, err.value.rule) == ("on", "in_the_future")
    assert_nothing_recorded(kr, version)
    kr.record_check_in(
        cycle=cycle, value=D(20), on=date(2027, 2, 11), author=AUTHOR, latest_on=date(2027, 2, 11)
    )
    assert kr.current_value == D(20)


def test_same_check_in_id_twice_is_refused() -> None:
    """A client-supplied id names one check-in; a replay must not double it."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in_id = uuid4()
    kr.record_check_in(cycle=cycle, value=22, on=JAN_15, author=AUTHOR, check_in_id=check_in_id)
    version = settled(kr)
    with pytest.raises(DuplicateIdError):
        kr.record_check_in(cycle=cycle, value=21, on=JAN_15, author=AUTHOR, check_in_id=check_in_id)
    assert_nothing_recorded(kr, version)


def test_current_value_is_latest_by_business_date_then_recording_order() -> None:
    """A late-entered older value must not overwrite a newer one; same-day entries: last wins."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.record_check_in(cycle=cycle, value=21, on=date(2027, 2, 1), author=AUTHOR)
    kr.record_check_in(cycle=cycle, value=23, on=date(2027, 1, 10), author=AUTHOR)
    assert kr.current_value == 21
    kr.record_check_in(cycle=cycle, value=20, on=date(2027, 2, 1), author=AUTHOR, source="api")
    assert kr.current_value == 20
    assert [c.value for c in kr.check_ins.values()] == [21, 23, 20]


def test_archived_key_result_takes_no_check_in() -> None:
    """An archived KR is out of the objective's story."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.archive(reason="duplicated", cycle=cycle, author=AUTHOR)
    version = settled(kr)
    with pytest.raises(ArchivedError):
        kr.record_check_in(cycle=cycle, value=21, on=JAN_15, author=AUTHOR)
    assert_nothing_recorded(kr, version)


def test_a_key_result_of_an_archived_objective_takes_no_check_in() -> None:
    """Its objective archived, the key result is out of every view: a check-in on it is
    refused, naming the key result and why; given its live objective, it is taken."""
    cycle = a_cycle()
    objective = an_objective(cycle)
    kr = a_key_result(cycle, objective)
    kr.record_check_in(cycle=cycle, value=21, on=JAN_15, author=AUTHOR, objective=objective)
    objective.archive(reason="obsolete", cycle=cycle, author=AUTHOR)
    version = settled(kr)
    with pytest.raises(ArchivedError, match="objective is archived") as refused:
        kr.record_check_in(cycle=cycle, value=22, on=JAN_15, author=AUTHOR, objective=objective)
    assert refused.value.field == "key_result_id"
    assert_nothing_recorded(kr, version)


def test_linking_to_a_kpi_and_back() -> None:
    """A KPI can feed a KR; the link and unlink are both in history."""
    cycle = a_cycle()
    kpi = a_kpi()
    kr = a_key_result(cycle, kpi=kpi)
    assert kr.kpi_id == kpi.id
    kr.unlink_from_kpi(cycle=cycle, author=AUTHOR)
    assert kr.kpi_id is None
    version = settled(kr)
    with pytest.raises(InvalidValueError):
        kr.unlink_from_kpi(cycle=cycle, author=AUTHOR)
    kpi.archive(reason="replaced", author=AUTHOR)
    with pytest.raises(ArchivedError):
        kr.link_to_kpi(kpi=kpi, cycle=cycle, author=AUTHOR)
    assert_nothing_recorded(kr, version)
    kr.link_to_kpi(kpi=a_kpi(), cycle=cycle, author=AUTHOR)
    assert [type(e).__name__ for e in kr.collect_events()] == ["LinkedToKpi"]


def test_a_kpi_feeds_only_a_key_result_of_its_unit_and_never_a_milestone() -> None:
    """An hours KPI linked to a euro key result fed it hours as euros ("100 % done"), and
    one linked to a milestone made every later measurement fail (a milestone takes 0 or 1):
    a KPI of another unit kind or currency, and any KPI for a milestone, are refused when
    the key result is made and when it is linked, and nothing is recorded."""
    cycle = a_cycle()
    hours = a_kpi()
    euros = a_kpi(name="Costi", unit=Unit(UnitKind.CURRENCY, "EUR"))
    francs = a_kpi(name="Costi CH", unit=Unit(UnitKind.CURRENCY, "CHF"))
    costs = a_key_result(cycle, title="Costi", start=Decimal(100), target=Decimal(90),
                         target_percent=None, unit=Unit(UnitKind.CURRENCY, "EUR"))  # fmt: skip
    version = settled(costs)
    for wrong, said in ((hours, "hours, the key result in EUR"), (francs, "CHF, the key result")):
        with pytest.raises(InvalidValueError) as err:
            costs.link_to_kpi(kpi=wrong, cycle=cycle, author=AUTHOR)
        assert (err.value.field, err.value.rule) == ("kpi_id", "unit_mismatch")
        assert said in str(err.value)
    assert_nothing_recorded(costs, version)
    with pytest.raises(InvalidValueError) as err:
        a_key_result(cycle, kpi=euros)  # an hours key result
    assert err.value.rule == "unit_mismatch"
    done = a_key_result(cycle, kind=KRKind.MILESTONE, start=None, target_percent=None,
                        unit=Unit(UnitKind.HOURS))  # fmt: skip
    with pytest.raises(InvalidValueError) as err:
        done.link_to_kpi(kpi=hours, cycle=cycle, author=AUTHOR)
    assert err.value.rule == "milestone"
    costs.link_to_kpi(kpi=euros, cycle=cycle, author=AUTHOR)
    assert costs.kpi_id == euros.id
    litres = a_kpi(name="Gasolio", unit=Unit(UnitKind.TEXT, None, "litri"))
    road = a_key_result(cycle, title="Strada", start=Decimal(100), target=Decimal(0),
                        target_percent=None, unit=Unit(UnitKind.TEXT, None, "km"))  # fmt: skip
    with pytest.raises(InvalidValueError) as err:  # a unit named by its label: the label too
        road.link_to_kpi(kpi=litres, cycle=cycle, author=AUTHOR)
    assert "measured in litri, the key result in km" in str(err.value)
    road.link_to_kpi(kpi=a_kpi(name="Km", unit=Unit(UnitKind.TEXT, None, "km")), cycle=cycle,
                     author=AUTHOR)  # fmt: skip


def test_a_kpi_feeds_no_key_result_that_aims_to_make_it_worse() -> None:
    """A key result that increases a lower-is-better KPI (or decreases a higher-is-better
    one), linked to it, aimed to make it worse, its target and progress counted against
    the KPI and said nowhere; unlinked, the KPI turned, linked again, it slipped past the
    turn's own check. It is refused when made and when linked, naming kpi_id, and nothing
    is recorded; a guardrail either way, and one that goes the KPI's way, are linked."""
    cycle = a_cycle()
    response = a_kpi()  # lower is better
    more = a_key_result(cycle, title="Più ore", kind=KRKind.INCREASE, start=Decimal(20),
                        target=Decimal(24), target_percent=None)  # fmt: skip
    version = settled(more)
    with pytest.raises(FedAgainstError) as refused:
        more.link_to_kpi(kpi=response, cycle=cycle, author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == ("kpi_id", "against_direction")
    assert "would increase the KPI, where lower is better" in refused.value.message
    assert_nothing_recorded(more, version)
    worked = a_kpi(name="Ore lavorate", direction="higher_is_better", green=24, red=20)
    with pytest.raises(FedAgainstError) as refused:
        a_key_result(cycle, kpi=worked)  # a decrease, 24 h to 19.2 h
    assert (refused.value.field, refused.value.rule) == ("kpi_id", "against_direction")
    assert "would decrease the KPI, where higher is better" in refused.value.message
    for kind in (KRKind.STAY_BELOW, KRKind.STAY_ABOVE):
        held = a_key_result(cycle, kind=kind, start=None, target=Decimal(22), target_percent=None)
        held.link_to_kpi(kpi=response, cycle=cycle, author=AUTHOR)
        assert held.kpi_id == response.id
    assert a_key_result(cycle, kpi=response).kpi_id == response.id  # a decrease


def test_plain_edits_record_their_events() -> None:
    """Title, weight, owner and due date changes each leave a past-tense event."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    settled(kr)
    kr.rename(title="Tempo di risposta", cycle=cycle, author=AUTHOR)
    kr.change_weight(weight=2, cycle=cycle, author=AUTHOR)
    kr.change_owner(owner="user-lucia", cycle=cycle, author=AUTHOR)
    kr.change_due_date(due_on=date(2027, 3, 1), cycle=cycle, author=AUTHOR)
    names = [type(e).__name__ for e in kr.collect_events()]
    assert names == ["Renamed", "WeightChanged", "OwnerChanged", "DueDateChanged"]
    assert (kr.title, kr.weight, kr.owner, kr.due_on) == (
        "Tempo di risposta",
        D(2),
        "user-lucia",
        date(2027, 3, 1),
    )


def test_a_cycle_stored_to_the_last_day_there_is_takes_check_ins() -> None:
    """A cycle to 9999-12-31, made before days were bounded: its end plus the 31 days of
    grace overflowed, and every check-in on it was a 500."""
    stored = SimpleNamespace(starts_on=date(2027, 1, 1), ends_on=date.max)
    # A stand-in of the two days _check_in_date reads of a stored cycle:
    assert _check_in_date(stored, date(2027, 5, 1)) == date(2027, 5, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidDateError):
        _check_in_date(stored, date(2026, 12, 31))  # type: ignore[arg-type]
