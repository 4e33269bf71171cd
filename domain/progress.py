"""The one arithmetic of progress, status, scores and KPI health (see GLOSSARY.md).

Every function is pure and works on ``Decimal`` under a fixed context (28 digits, half-even),
so the API, read models, exports and as-of replays all compute the same digits.
Rounding happens only at display, never here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction

from domain.errors import InvalidValueError, StartEqualsTargetError, ThresholdError
from domain.values import (
    MAX_MAGNITUDE,
    MAX_PLACES,
    SCORE_PLACES,
    Direction,
    Health,
    KRKind,
    Status,
)

ZERO = Decimal(0)
ONE = Decimal(1)
ON_TRACK_PACE = Decimal("0.95")
AT_RISK_PACE = Decimal("0.75")
_ON_TRACK_SHARE, _AT_RISK_SHARE = Fraction(ON_TRACK_PACE), Fraction(AT_RISK_PACE)
"""The paces as fractions, made once (status compares with them for every key result)."""
_NONE, _WHOLE = Fraction(0), Fraction(1)
"""Expected shares before a window opens and once it is due (fractions are immutable)."""
RED_BELOW = Decimal("0.4")
AMBER_BELOW = Decimal("0.7")
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_WIDE = Context(prec=56, rounding=ROUND_HALF_EVEN)
_MICRO = Decimal(1).scaleb(-MAX_PLACES)
_SCORES = Context(prec=SCORE_PLACES + 1)
"""Digits for a score (0 to 1) to every place it keeps: two told apart past the 28th
(score_places) were quantized in the default context's 28 digits, which raised."""

Weighted = tuple[Decimal, Decimal | None]


def raw_progress(
    kind: KRKind | str, start: Decimal | None, target: Decimal, current: Decimal | None
) -> Decimal | None:
    """Unclamped progress of a key result; None when there is no value yet.

    increase/decrease: (c - s) / (t - s), one formula for both directions;
    stay_above: 1 if c >= t else 0; stay_below: 1 if c <= t else 0; milestone: 1 if c >= 1.
    """
    kr_kind = KRKind(kind)
    if kr_kind.is_ranged:
        return _ranged(_required_start(start), target, current)
    if current is None:
        return None
    return ONE if _met(kr_kind, target, current) else ZERO


def _required_start(start: Decimal | None) -> Decimal:
    if start is None:
        raise InvalidValueError("increase/decrease needs a start", field="start", rule="required")
    return start


def _ranged(start: Decimal, target: Decimal, current: Decimal | None) -> Decimal | None:
    if start == target:
        raise StartEqualsTargetError("start equals target: use a guardrail", field="target")
    if current is None:
        return None
    with localcontext(_CONTEXT):
        p = (current - start) / (target - start)
    return p.copy_abs() if p.is_zero() else p  # no "-0.0" (none done of a decrease)


def _met(kind: KRKind, target: Decimal, current: Decimal) -> bool:
    if kind is KRKind.STAY_ABOVE:
        return current >= target
    if kind is KRKind.STAY_BELOW:
        return current <= target
    return current >= ONE


def is_met(kind: KRKind | str, target: Decimal, current: Decimal) -> bool:
    """Whether one value meets a guardrail (or completes a milestone)."""
    return _met(KRKind(kind), target, current)


def shown_progress(p: Decimal) -> Decimal:
    """Progress as displayed: raw progress clamped to [0, 1]."""
    return min(max(p, ZERO), ONE)


def over_achievement(p: Decimal) -> Decimal:
    """How far past the target raw progress went: max(p - 1, 0)."""
    with localcontext(_CONTEXT):
        return max(p - ONE, ZERO)


def expected_progress(window_start: date, due: date, on: date) -> Decimal:
    """Share of the window (cycle start -> due) elapsed on a date, in [0, 1], in whole days
    (expected_share, to the 28 digits every progress keeps)."""
    return _decimal(expected_share(window_start, due, on))


def expected_share(window_start: date, due: date, on: date) -> Fraction:
    """The elapsed share of the window exactly (2/3, not 0.666…7), for status to compare
    progress with its pace without a rounded share between them.

    A window of zero days (or less) is 0 before its day and 1 once reached.
    """
    duration = (due - window_start).days
    if duration <= 0:
        return _WHOLE if on >= due else _NONE
    elapsed = (on - window_start).days
    if elapsed <= 0:
        return _NONE
    return _WHOLE if elapsed >= duration else Fraction(elapsed, duration)


def _decimal(share: Fraction) -> Decimal:
    """A fraction to 28 digits, rounded once (as a division of measured values is)."""
    with localcontext(_CONTEXT):
        return Decimal(share.numerator) / Decimal(share.denominator)


def status(kind: KRKind | str, p: Decimal | None, e: Decimal | Fraction) -> Status:
    """Computed status from raw progress p and expected progress e.

    p is compared with 0.95·e and 0.75·e each worked out exactly and rounded once to the
    28 digits p is kept in, so a p that is exactly on a threshold is on it: give e as
    expected_share (exact) where the days are known; a rounded e (2/3 as 0.666…7) times
    0.95 could come out a digit past the p it equals.

    Guardrails are on_track while met and off_track while not, and never "done", even
    past their due date: a threshold has to keep holding, and the score at close says how
    often it held (status only worsens with the day: see rollup.status_dates).
    """
    if p is None:
        return Status.NOT_STARTED
    if KRKind(kind).is_guardrail:
        return Status.ON_TRACK if p >= ONE else Status.OFF_TRACK
    return _paced_status(p, e if isinstance(e, Fraction) else Fraction(e))


def _paced_status(p: Decimal, e: Fraction) -> Status:
    if p >= ONE:  # shown progress 1
        return Status.DONE
    if p >= _paced(_ON_TRACK_SHARE, e):
        return Status.ON_TRACK
    if p >= _paced(_AT_RISK_SHARE, e):
        return Status.AT_RISK
    return Status.OFF_TRACK


def _paced(pace: Fraction, e: Fraction) -> Decimal:
    """pace · e rounded once to 28 digits: the same Decimal as _decimal(pace * e), without
    reducing the product first (a correctly rounded division of the same quotient) nor a
    context manager: status is asked for tens of thousands of times in a rebuild."""
    return _CONTEXT.divide(
        Decimal(pace.numerator * e.numerator), Decimal(pace.denominator * e.denominator)
    )


def objective_progress(
    items: Iterable[Weighted], children: Iterable[Weighted] = ()
) -> Decimal | None:
    """Weighted mean Σ w·clamp(p) / Σ w of an objective's key results (and children).

    ``items`` are (weight, raw progress) of key results: one without a check-in (None)
    counts as 0, it belongs to the objective and has not moved. ``children`` are
    (weight, progress) of rolled-up child objectives: a child with nothing measurable
    (None) is left out. Nothing measurable at all gives None, not 0.

    Worked out to twice the digits and rounded once: each part is already rounded to 28
    digits (1/22 met as 0.0454…5), and summed at 28 digits their errors could take a mean
    that is exactly 0.4 or 0.7 a digit below it, into the band beneath (0.39, red).
    """
    terms = [(w, ZERO if p is None else p) for w, p in items]
    terms += [(w, p) for w, p in children if p is not None]
    if not terms:
        return None
    with localcontext(_WIDE):  # exact sums, then one rounding to the 28 digits
        total = sum((w for w, _ in terms), ZERO)
        mean = sum((w * shown_progress(p) for w, p in terms), ZERO) / total
    rounded = _CONTEXT.plus(mean)
    return rounded if rounded == mean else rounded.normalize(_CONTEXT)


def guardrail_score(met: int, total: int) -> Decimal | None:
    """Share of a guardrail's business days checked in that met it (KeyResult.guardrail_tally);
    None without any."""
    if not 0 <= met <= total:
        raise InvalidValueError("met must be within 0..total", field="met", rule="out_of_range")
    if total == 0:
        return None
    with localcontext(_CONTEXT):
        return Decimal(met) / Decimal(total)


def key_result_score(kind: KRKind | str, p: Decimal | None, met: int, total: int) -> Decimal:
    """Default score at close: clamp(p), or the share met for guardrails; 0 with no check-in."""
    if KRKind(kind).is_guardrail:
        score = guardrail_score(met, total)
    else:
        score = None if p is None else shown_progress(p)
    return ZERO if score is None else score


def score_shown(score: Decimal, places: int = 2) -> Decimal:
    """A score to two places (or `places`: see score_places), for display: rounded down, so
    that it never shows the number of a better band than its own (0.695 is amber: 0.69,
    not 0.70)."""
    return score.quantize(Decimal(1).scaleb(-places), ROUND_DOWN, _SCORES)


def score_places(*scores: Decimal | None) -> int:
    """The places to show scores side by side with (a change's before and after): two, or
    as many more as tell those that differ apart (0.669 → 0.661 read "0.66 → 0.66", a
    change that showed none: it reads 0.669 → 0.661)."""
    known = {score for score in scores if score is not None and score.is_finite()}
    places = 2
    while len({score_shown(score, places) for score in known}) < len(known):
        places += 1
    return places


def percent_shown(fraction: Decimal, places: int = 1) -> Decimal:
    """A fraction as a percentage to `places`, for display: half up (0.3125 is 31.3), but
    one short of 1 never reads 100 (0.9996 is 99.9, not 100: a progress not reached yet is
    not shown as reached), rounded down there instead; and one not 0 never reads 0 (0.0004
    is 0.1, not 0: a progress begun is not shown as none; -0.0004 is -0.1), rounded away
    from 0 there instead. Zero is never signed (-0.0 is 0.0)."""
    step = Decimal(1).scaleb(-places)
    hundred = fraction * 100
    shown = hundred.quantize(step, ROUND_HALF_UP)
    if fraction < ONE and shown >= 100:
        return hundred.quantize(step, ROUND_DOWN)
    if shown == 0:
        return abs(shown) if fraction == 0 else step.copy_sign(fraction)
    return shown


def score_band(score: Decimal) -> Health:
    """Colour of a score: below 0.4 red, below 0.7 amber, else green."""
    if score < RED_BELOW:
        return Health.RED
    if score < AMBER_BELOW:
        return Health.AMBER
    return Health.GREEN


def check_thresholds(direction: Direction | str, green: Decimal, red: Decimal) -> None:
    """Raise ThresholdError unless red <= green (higher is better) or red >= green (lower)."""
    higher = Direction(direction) is Direction.HIGHER_IS_BETTER
    if (higher and red > green) or (not higher and red < green):
        need = "red <= green" if higher else "red >= green"
        raise ThresholdError(f"thresholds need {need} for {direction}", field="red")


def kpi_health(direction: Direction | str, green: Decimal, red: Decimal, value: Decimal) -> Health:
    """Health of a KPI value: green at or past ``green``, red past ``red``, amber between."""
    check_thresholds(direction, green, red)
    if Direction(direction) is Direction.LOWER_IS_BETTER:
        return kpi_health(Direction.HIGHER_IS_BETTER, -green, -red, -value)
    if value >= green:
        return Health.GREEN
    if value < red:
        return Health.RED
    return Health.AMBER


def relative_target(start: Decimal, percent: Decimal) -> Decimal:
    """Absolute target from a baseline and a relative change: start x (1 + pct/100).

    Exact when it fits in 6 decimal places; otherwise rounded half-even to 6 places,
    the precision every stored measured value keeps.
    """
    with localcontext(_CONTEXT):
        target = start * (ONE + percent / Decimal(100))
    exponent = target.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES and abs(target) < MAX_MAGNITUDE:
        target = target.quantize(_MICRO, context=_CONTEXT)
    return _without_trailing_zeros(target)


def _without_trailing_zeros(value: Decimal) -> Decimal:
    """60.0 as 60, 19.20 as 19.2 (a product's places, not the writer's), never as 6E+1."""
    if not value.is_finite():
        return value
    written = format(value, "f")
    return Decimal(written.rstrip("0").rstrip(".") if "." in written else written)
