"""GLOSSARY.md worked examples and status cases through the one progress module."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import InvalidValueError, StartEqualsTargetError, ThresholdError
from domain.progress import (
    expected_progress,
    expected_share,
    guardrail_score,
    key_result_score,
    kpi_health,
    objective_progress,
    over_achievement,
    percent_shown,
    raw_progress,
    relative_target,
    score_band,
    score_shown,
    shown_progress,
    status,
)
from domain.values import Direction, Health, KRKind, Status

D = Decimal

WORKED_EXAMPLES = [
    # (kind, s, t, c, raw p, shown)
    ("decrease", "24", "19.2", "21", D("0.625"), D("0.625")),
    ("decrease", "24", "19.2", "18", D("1.25"), D(1)),
    ("decrease", "24", "19.2", "26", D(-5) / D(12), D(0)),
    ("increase", "70", "85", "79", D("0.6"), D("0.6")),
    ("increase", "50", "60", "55", D("0.5"), D("0.5")),
    ("increase", "4.1", "4.5", "4.3", D("0.5"), D("0.5")),
    ("decrease", "1200000", "1080000", "1140000", D("0.5"), D("0.5")),
]


@pytest.mark.parametrize(("kind", "s", "t", "c", "raw", "shown"), WORKED_EXAMPLES)
def test_glossary_worked_examples(
    kind: str, s: str, t: str, c: str, raw: Decimal, shown: Decimal
) -> None:
    """The seed's numbers are the contract every screen and export must reproduce."""
    p = raw_progress(kind, D(s), D(t), D(c))
    assert p == raw
    assert p is not None and shown_progress(p) == shown


def test_worse_than_start_is_minus_five_twelfths() -> None:
    """-0.4166... is kept raw (28 digits), never rounded before display."""
    p = raw_progress(KRKind.DECREASE, D(24), D("19.2"), D(26))
    assert p == D("-0.4166666666666666666666666667")
    assert p is not None and round(p, 4) == D("-0.4167")


def test_beaten_target_shows_the_over_achievement_apart() -> None:
    """18 h against 19.2 h is 100 % shown plus 25 % over, not 125 %."""
    p = raw_progress(KRKind.DECREASE, D(24), D("19.2"), D(18))
    assert p is not None
    assert (shown_progress(p), over_achievement(p)) == (D(1), D("0.25"))
    assert over_achievement(D("0.4")) == 0


def test_objective_efficienza_operativa_is_0_375() -> None:
    """Equal weights, KRs at 0.625, a milestone not done (0) and 0.5 give 0.375."""
    items = [(D(1), D("0.625")), (D(1), D(0)), (D(1), D("0.5"))]
    assert objective_progress(items) == D("0.375")


def test_objective_uses_clamped_progress_and_weights() -> None:
    """A beaten KR cannot carry a lagging one: 1.25 counts as 1."""
    assert objective_progress([(D(3), D("1.25")), (D(1), D(-2))]) == D("0.75")


def test_a_mean_exactly_on_a_band_s_edge_is_on_it() -> None:
    """Guardrails met 1 of 5, 21 of 22 and 1 of 22 days are 0.4 together, amber; 5/6, 1/2
    and 7/12 weighted 5, 1 and 4 are 0.7, green. Each part is rounded to 28 digits, and
    summed at 28 digits the mean came a digit short: 0.39 red, 0.69 amber."""
    amber = objective_progress(
        [(D(1), guardrail_score(m, n)) for m, n in ((1, 5), (21, 22), (1, 22))]
    )
    green = objective_progress(
        [(D(w), guardrail_score(m, n)) for w, m, n in ((5, 5, 6), (1, 1, 2), (4, 7, 12))]
    )
    assert amber is not None and green is not None
    assert (amber, score_band(amber), score_shown(amber)) == (D("0.4"), Health.AMBER, D("0.40"))
    assert (green, score_band(green), score_shown(green)) == (D("0.7"), Health.GREEN, D("0.70"))
    assert objective_progress([(D(1), D(1) / 3)]) == D("0.3333333333333333333333333333")


def test_key_result_without_check_in_counts_as_zero() -> None:
    """A KR that has not moved yet pulls its objective down; it does not vanish."""
    assert objective_progress([(D(1), None), (D(1), D("0.5"))]) == D("0.25")
    assert objective_progress([(D(1), None)]) == 0


def test_objective_with_nothing_measurable_has_no_progress() -> None:
    """No KRs and no measurable children is null, not 0 % (GLOSSARY)."""
    assert objective_progress([]) is None
    assert objective_progress([], children=[(D(1), None)]) is None


def test_rolled_up_children_count_and_empty_children_are_left_out() -> None:
    """A child objective with nothing measurable does not drag its parent to 0."""
    result = objective_progress([(D(1), D("0.5"))], children=[(D(1), D(1)), (D(5), None)])
    assert result == D("0.75")


def test_milestone_and_guardrails_are_zero_or_one() -> None:
    """Milestones and guardrails have no partial progress."""
    assert raw_progress("milestone", D(0), D(1), D(1)) == 1
    assert raw_progress("milestone", D(0), D(1), D(0)) == 0
    assert raw_progress("stay_above", None, D("4.5"), D("4.5")) == 1
    assert raw_progress("stay_above", None, D("4.5"), D("4.4")) == 0
    assert raw_progress("stay_below", D(30), D(24), D(24)) == 1
    assert raw_progress("stay_below", D(30), D(24), D("24.01")) == 0


def test_no_check_in_means_no_progress() -> None:
    """Without a value there is nothing to compute: None, shown as not started."""
    assert raw_progress("increase", D(70), D(85), None) is None
    assert raw_progress("stay_above", None, D(1), None) is None


def test_start_equal_to_target_is_rejected() -> None:
    """p = (c - s)/(t - s) would divide by zero; a flat line is a guardrail."""
    with pytest.raises(StartEqualsTargetError):
        raw_progress("increase", D(5), D(5), D(5))


def test_seed_response_time_status_through_the_quarter() -> None:
    """24 h -> 19.2 h at 21 h is 0.625: on track early, at risk later, off track late."""
    p = raw_progress(KRKind.DECREASE, D(24), D("19.2"), D(21))
    start, due = date(2027, 1, 1), date(2027, 3, 31)
    assert status(KRKind.DECREASE, p, expected_progress(start, due, date(2027, 2, 1))) == (
        Status.ON_TRACK
    )
    assert status(KRKind.DECREASE, p, D("0.8")) is Status.AT_RISK
    assert status(KRKind.DECREASE, p, D("0.9")) is Status.OFF_TRACK
    assert status(KRKind.DECREASE, D("1.25"), D(1)) is Status.DONE
    assert status(KRKind.DECREASE, None, D("0.5")) is Status.NOT_STARTED


def test_status_thresholds_are_inclusive_at_95_and_75_percent_of_pace() -> None:
    """p = 0.95e is on track and p = 0.75e is at risk, exactly as the glossary says."""
    e = D("0.8")
    assert status("increase", D("0.76"), e) is Status.ON_TRACK
    assert status("increase", D("0.759999"), e) is Status.AT_RISK
    assert status("increase", D("0.6"), e) is Status.AT_RISK
    assert status("increase", D("0.599999"), e) is Status.OFF_TRACK


@pytest.mark.parametrize(
    ("value", "day", "expected"),
    [
        ("76", date(2027, 3, 22), Status.ON_TRACK),  # 76/89 = 0.95 x 80/89
        ("75.99", date(2027, 3, 22), Status.AT_RISK),
        ("30", date(2027, 2, 10), Status.AT_RISK),  # 30/89 = 0.75 x 40/89
        ("29.99", date(2027, 2, 10), Status.OFF_TRACK),
    ],
)
def test_progress_exactly_on_a_pace_threshold_is_on_it(
    value: str, day: date, expected: Status
) -> None:
    """0 → 89 over Q1 2027 (89 days): p = 0.95·e and p = 0.75·e hold exactly on these days,
    and the glossary's thresholds are inclusive. 0.95 times e rounded to 28 digits (80/89
    as 0.8988…) came out a digit past p, and the key result read at risk (off track)."""
    kr_p = raw_progress("increase", D(0), D(89), D(value))
    share = expected_share(date(2027, 1, 1), date(2027, 3, 31), day)

    assert status("increase", kr_p, share) is expected
    assert expected_progress(date(2027, 1, 1), date(2027, 3, 31), day) == D(share.numerator) / D(
        share.denominator
    )


def test_guardrail_status_is_met_or_not_never_done() -> None:
    """A threshold must keep holding: met is on track, broken is off track."""
    assert status("stay_above", D(1), D("0.1")) is Status.ON_TRACK
    assert status("stay_below", D(0), D("0.1")) is Status.OFF_TRACK
    assert status("stay_above", D(1), D(1)) is Status.ON_TRACK


def test_expected_progress_runs_from_window_start_to_due() -> None:
    """Pace is elapsed days over window days, clamped to [0, 1]."""
    start, due = date(2027, 1, 1), date(2027, 1, 11)
    assert expected_progress(start, due, date(2027, 1, 6)) == D("0.5")
    assert expected_progress(start, due, date(2026, 12, 1)) == 0
    assert expected_progress(start, due, date(2027, 6, 1)) == 1


def test_expected_progress_of_a_zero_day_window() -> None:
    """A window of one day is 0 before it and 1 once reached, never a division by zero."""
    day = date(2027, 1, 1)
    assert expected_progress(day, day, date(2026, 12, 31)) == 0
    assert expected_progress(day, day, day) == 1


def test_scores_and_bands() -> None:
    """Guardrails score the share met; bands are red < 0.4 <= amber < 0.7 <= green."""
    assert guardrail_score(3, 4) == D("0.75")
    assert guardrail_score(0, 0) is None
    assert key_result_score("stay_above", D(0), 1, 2) == D("0.5")
    assert key_result_score("stay_above", None, 0, 0) == 0
    assert key_result_score("decrease", D("1.25"), 0, 0) == 1
    assert key_result_score("increase", None, 0, 0) == 0
    assert [score_band(D(x)) for x in ("0.39", "0.4", "0.69", "0.7", "1")] == [
        Health.RED,
        Health.AMBER,
        Health.AMBER,
        Health.GREEN,
        Health.GREEN,
    ]


def test_guardrail_score_rejects_impossible_tallies() -> None:
    """More met than total is a bug upstream, not a score of 150 %."""
    with pytest.raises(InvalidValueError):
        guardrail_score(3, 2)


def test_kpi_health_higher_is_better() -> None:
    """Renewal rate: green at 85 or more, red below 70, amber between."""
    health = [kpi_health("higher_is_better", D(85), D(70), D(v)) for v in (90, 85, 75, 70, 69)]
    assert health == [Health.GREEN, Health.GREEN, Health.AMBER, Health.AMBER, Health.RED]


def test_kpi_health_lower_is_better() -> None:
    """Response time: green at 20 h or less, red above 24 h - the most mis-coloured case."""
    health = [kpi_health(Direction.LOWER_IS_BETTER, D(20), D(24), D(v)) for v in (18, 20, 22, 24)]
    assert health == [Health.GREEN, Health.GREEN, Health.AMBER, Health.AMBER]
    assert kpi_health(Direction.LOWER_IS_BETTER, D(20), D(24), D(25)) is Health.RED


@pytest.mark.parametrize(
    ("direction", "green", "red"), [("higher_is_better", 70, 85), ("lower_is_better", 24, 20)]
)
def test_kpi_thresholds_in_the_wrong_order_are_rejected(
    direction: str, green: int, red: int
) -> None:
    """Swapped thresholds would paint every value the wrong colour."""
    with pytest.raises(ThresholdError):
        kpi_health(direction, D(green), D(red), D(1))


def test_relative_targets_from_the_seed() -> None:
    """-20 % of 24 h is 19.2 h; +20 % of 50 clients is 60; -10 % of 1.2M is 1.08M."""
    assert relative_target(D(24), D(-20)) == D("19.2")
    assert relative_target(D(50), D(20)) == D(60)
    assert relative_target(D(1200000), D(-10)) == D(1080000)


def test_a_relative_target_is_written_as_its_value_not_with_a_trailing_zero() -> None:
    """+20 % of 50 came out as "60.0": the API said original_target "60.0" beside a revised
    "65", and the history "from 50 to 60". A whole target has no decimal places, and
    no other one a trailing zero."""
    assert [str(relative_target(D(s), D(p))) for s, p in (
        ("50", "20"), ("24", "-20"), ("1200000", "-10"), ("1.5", "100"), ("10", "0"),
        ("0.000010", "10"),
    )] == ["60", "19.2", "1080000", "3", "10", "0.000011"]  # fmt: skip


def test_relative_target_is_kept_to_six_places() -> None:
    """Stored values have at most 6 decimal places, so a relative target is rounded there."""
    assert relative_target(D(1), D("33.3333333")) == D("1.333333")


def test_a_decrease_still_at_its_start_has_done_none_not_minus_none() -> None:
    """0 / -4.8 is Decimal("-0.0"), which the CLI's JSON printed as "-0.0": none done is 0."""
    p = raw_progress(KRKind.DECREASE, Decimal(24), Decimal("19.2"), Decimal("24.00"))
    assert p is not None and p == 0 and not p.is_signed()
    assert not shown_progress(p).is_signed()


def test_a_percentage_shown_under_1_never_reads_100() -> None:
    """Rounding at display is half up (0.3125 is 31.3 %), but 0.9996 read 100 %, a progress
    not reached shown as reached: one short of 1 is rounded down there, 99.9."""
    assert percent_shown(D("0.3125")) == D("31.3")
    assert percent_shown(D("0.9996")) == D("99.9")
    assert percent_shown(D("0.99999"), 2) == D("99.99")
    assert percent_shown(D("0.9994")) == D("99.9")
    assert percent_shown(D(1)) == D("100.0")
    assert percent_shown(D("1.25")) == D("125.0")


def test_a_percentage_shown_not_0_never_reads_0_nor_minus_0() -> None:
    """0.0004 read 0 %, a key result begun shown as untouched, and -0.0004 "-0.0 %" in the
    CLI: as one short of 1 never reads 100, one past 0 is rounded away from 0 there (0.1),
    and a zero is never signed."""
    assert percent_shown(D("0.0004")) == D("0.1")
    assert percent_shown(D("1E-7"), 2) == D("0.01")
    assert percent_shown(D("-0.0004")) == D("-0.1")
    assert str(percent_shown(D("-0"))) == "0.0"
    assert str(percent_shown(D(0))) == "0.0"
    assert percent_shown(D("0.0005")) == D("0.1")
