"""Properties of the progress arithmetic that must hold for every input, not just examples."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import StartEqualsTargetError
from domain.progress import (
    expected_progress,
    kpi_health,
    objective_progress,
    over_achievement,
    raw_progress,
    shown_progress,
    status,
)
from domain.values import Direction, KRKind, Status

values = st.decimals(
    min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False
)
ranged = st.sampled_from([KRKind.INCREASE, KRKind.DECREASE])
fractions = st.decimals(min_value=0, max_value=1, places=6)
weights = st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2)


def p_of(s: Decimal, t: Decimal, c: Decimal) -> Decimal:
    """Raw progress of a ranged KR that has a value (the kind does not change the formula)."""
    p = raw_progress(KRKind.INCREASE, s, t, c)
    assert p is not None
    return p


@given(values, values, values)
def test_negating_everything_mirrors_increase_into_decrease(
    s: Decimal, t: Decimal, c: Decimal
) -> None:
    """Lower-is-better is higher-is-better in a mirror: p(s,t,c) = p(-s,-t,-c) exactly."""
    assume(s != t)
    assert p_of(s, t, c) == p_of(-s, -t, -c)


@given(values, values, values)
def test_swapping_start_and_target_complements_progress(s: Decimal, t: Decimal, c: Decimal) -> None:
    """Walking t -> s covers what is left of s -> t: p(s,t,c) + p(t,s,c) = 1."""
    assume(s != t)
    assert abs(p_of(s, t, c) + p_of(t, s, c) - 1) <= Decimal("1e-20")


@given(values, values, values, values)
def test_shifting_the_scale_changes_nothing(s: Decimal, t: Decimal, c: Decimal, k: Decimal) -> None:
    """Only distances matter: p(s+k, t+k, c+k) = p(s, t, c)."""
    assume(s != t)
    assert p_of(s + k, t + k, c + k) == p_of(s, t, c)


@given(ranged, values, values)
def test_start_is_zero_and_target_is_one(kind: KRKind, s: Decimal, t: Decimal) -> None:
    """At the baseline nothing is done; at the target everything is, in both directions."""
    assume(s != t)
    assert (raw_progress(kind, s, t, s), raw_progress(kind, s, t, t)) == (Decimal(0), Decimal(1))


@given(ranged, values)
def test_start_equal_to_target_is_always_rejected(kind: KRKind, s: Decimal) -> None:
    """No value of s makes a flat increase/decrease computable."""
    with pytest.raises(StartEqualsTargetError):
        raw_progress(kind, s, s, s)


@given(values, values, values)
def test_shown_progress_is_clamped_and_over_achievement_is_the_rest(
    s: Decimal, t: Decimal, c: Decimal
) -> None:
    """Display is always within [0, 1]; what is beyond 1 is shown apart."""
    assume(s != t)
    p = p_of(s, t, c)
    shown = shown_progress(p)
    assert 0 <= shown <= 1
    assert over_achievement(p) >= 0
    if p >= 1:
        assert shown + over_achievement(p) == p


@given(st.lists(st.tuples(weights, fractions), min_size=1, max_size=20))
def test_weighted_mean_stays_within_its_inputs(items: list[tuple[Decimal, Decimal]]) -> None:
    """An objective can never be ahead of its best KR or behind its worst."""
    result = objective_progress(items)
    assert result is not None
    clamped = [shown_progress(p) for _, p in items]
    assert min(clamped) <= result <= max(clamped)


@given(st.lists(st.tuples(weights, values), min_size=1, max_size=20))
def test_objective_progress_is_within_zero_and_one(items: list[tuple[Decimal, Decimal]]) -> None:
    """Raw progress of any size still yields a displayable objective progress."""
    result = objective_progress(items)
    assert result is not None and 0 <= result <= 1


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@given(dates, st.integers(0, 800), st.integers(-100, 1000), st.integers(0, 50))
def test_expected_progress_is_bounded_and_never_goes_back(
    start: date, length: int, offset: int, step: int
) -> None:
    """Pace only grows with time and stays within [0, 1]."""
    due = start + timedelta(days=length)
    on = start + timedelta(days=offset)
    earlier = expected_progress(start, due, on)
    later = expected_progress(start, due, on + timedelta(days=step))
    assert 0 <= earlier <= later <= 1


@given(values, values, values)
def test_kpi_health_mirrors_between_directions(g: Decimal, r: Decimal, v: Decimal) -> None:
    """Lower-is-better colours are higher-is-better colours of the negated values."""
    green, red = max(g, r), min(g, r)
    higher = kpi_health(Direction.HIGHER_IS_BETTER, green, red, v)
    assert kpi_health(Direction.LOWER_IS_BETTER, -green, -red, -v) is higher


@given(st.sampled_from(list(KRKind)), st.one_of(st.none(), values), fractions)
def test_status_is_always_one_of_the_five(kind: KRKind, p: Decimal | None, e: Decimal) -> None:
    """Status is total: every progress and pace maps to a status, guardrails never to done."""
    result = status(kind, p, e)
    assert result in set(Status)
    if kind.is_guardrail:
        assert result is not Status.DONE
