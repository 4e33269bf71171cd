"""Validators turn raw input into domain values or a named error with the field at fault."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import values
from domain.errors import (
    ConfidenceRangeError,
    DomainError,
    InvalidDateError,
    InvalidTitleError,
    InvalidUnitError,
    InvalidValueError,
    InvalidWeightError,
    ReasonRequiredError,
)
from domain.values import Unit, UnitKind


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (float("nan"), "not_finite"),
        (float("inf"), "not_finite"),
        (float("-inf"), "not_finite"),
        (Decimal("NaN"), "not_finite"),
        (Decimal("sNaN"), "not_finite"),
        (Decimal("Infinity"), "not_finite"),
        (Decimal("-Infinity"), "not_finite"),
        ("NaN", "not_finite"),
        ("-Infinity", "not_finite"),
        (Decimal("1e20"), "too_large"),
        ("1e20", "too_large"),
        ("-357421.6E79270060", "too_large"),  # past the context's exponent: abs() overflowed
        (10**15, "too_large"),
        (Decimal("-1e15"), "too_large"),
        ("0.0000001", "too_precise"),
        ("1e-999999", "too_precise"),
        ("abc", "not_a_number"),
        ("", "not_a_number"),
        ("1_000", "not_a_number"),  # Decimal's own syntax, beyond the API's
        ("\u0663", "not_a_number"),  # an Arabic-Indic three
        ("\uff15", "not_a_number"),  # a full-width five
        ("+5", "not_a_number"),
        (".5", "not_a_number"),
        ("5.", "not_a_number"),
        ("1" * 10_000, "too_long"),
        (1.5, "wrong_type"),
        (True, "wrong_type"),
        (None, "wrong_type"),
        ([1], "wrong_type"),
    ],
)
def test_measured_rejects_what_is_not_a_sane_finite_decimal(raw: object, rule: str) -> None:
    """NaN, infinities, floats and absurd magnitudes must never reach an event or a sum."""
    with pytest.raises(InvalidValueError) as err:
        values.measured(raw, "target")
    assert err.value.field == "target"
    assert err.value.rule == rule


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("19.2"), Decimal("19.2")),
        (24, Decimal(24)),
        ("1200000", Decimal(1200000)),
        (" 4.5 ", Decimal("4.5")),
        ("0.123456", Decimal("0.123456")),
        ("1.50000000", Decimal("1.500000")),  # zeros beyond six places are dropped
        ("61." + "0" * 30, Decimal("61.000000")),
        ("0E+99999999999", Decimal("0")),  # written so, no projector could store it
        ("0E-99999999999", Decimal("0.000000")),
        ("1.5e6", Decimal("1500000")),
        (Decimal("999999999999999.999999"), Decimal("999999999999999.999999")),
        ("-0.5", Decimal("-0.5")),
    ],
)
def test_measured_keeps_the_exact_decimal(raw: object, expected: Decimal) -> None:
    """Money and measures keep their exact digits: rounding happens only at display. Only
    how they are written may change, where PostgreSQL's numeric could not hold it."""
    result = values.measured(raw, "value")
    assert result == expected
    assert str(result) == str(expected)


def test_empty_title_is_rejected_with_its_field() -> None:
    """An objective without words cannot be shown anywhere."""
    with pytest.raises(InvalidTitleError) as err:
        values.title("   \t ")
    assert (err.value.field, err.value.rule) == ("title", "empty")


def test_ten_kilobyte_title_is_rejected() -> None:
    """Titles are bounded so a pasted document cannot bloat every read model."""
    with pytest.raises(InvalidTitleError) as err:
        values.title("x" * 10_240, "name")
    assert (err.value.field, err.value.rule) == ("name", "too_long")


def test_title_is_trimmed_and_two_hundred_characters_fit() -> None:
    """The limit is inclusive and surrounding blanks are not part of a title."""
    assert values.title("  " + "a" * 200 + " ") == "a" * 200


def test_title_must_be_text_without_nul() -> None:
    """PostgreSQL text cannot hold NUL; a number is not a title."""
    with pytest.raises(InvalidTitleError):
        values.title("ok\x00no")
    with pytest.raises(InvalidTitleError):
        values.title(42)


def test_note_is_optional_but_bounded() -> None:
    """A check-in note may be empty, never longer than 2000 characters."""
    assert values.note(None) == ""
    assert values.note("  ") == ""
    with pytest.raises(InvalidTitleError) as err:
        values.note("n" * 2001)
    assert err.value.field == "note"


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_reason_is_required(missing: str | None) -> None:
    """Corrections and revisions without a why would make the audit trail useless."""
    with pytest.raises(ReasonRequiredError) as err:
        values.reason(missing)
    assert (err.value.field, err.value.rule) == ("reason", "reason_required")


def test_reason_is_bounded() -> None:
    """A reason is a sentence or a paragraph, not a document."""
    with pytest.raises(InvalidTitleError):
        values.reason("r" * 1001)


@pytest.mark.parametrize("bad", [11, -1, 10.0, "7", True, 100])
def test_confidence_outside_zero_to_ten_is_rejected(bad: object) -> None:
    """Confidence is the owner's 0-10 forecast; anything else is a typo or an attack."""
    with pytest.raises(ConfidenceRangeError) as err:
        values.confidence(bad)
    assert (err.value.field, err.value.rule) == ("confidence", "confidence_out_of_range")


def test_confidence_accepts_bounds_and_none() -> None:
    """0 and 10 are valid and confidence may be left out."""
    assert [values.confidence(v) for v in (0, 10, None)] == [0, 10, None]


@pytest.mark.parametrize("bad", [0, -1, "1000.000001", 1001])
def test_weight_outside_bounds_is_rejected(bad: object) -> None:
    """A zero or negative weight would divide by zero or invert an objective's progress."""
    with pytest.raises(InvalidWeightError) as err:
        values.weight(bad)
    assert err.value.field == "weight"


def test_weight_upper_bound_is_inclusive() -> None:
    """1000 is the largest weight."""
    assert values.weight(1000) == Decimal(1000)


def test_currency_unit_needs_an_iso_4217_code() -> None:
    """Amounts are only comparable when the currency is a real one."""
    assert values.unit("currency", " eur ") == Unit(UnitKind.CURRENCY, "EUR")
    with pytest.raises(InvalidUnitError) as err:
        values.unit("currency", "EURO")
    assert err.value.field == "currency"
    with pytest.raises(InvalidUnitError) as err:
        values.unit("currency")
    assert (err.value.rule, err.value.message) == (  # not "None is not an ISO 4217 code"
        "required",
        "a currency unit needs its currency (an ISO 4217 code: EUR, CHF...)",
    )


def test_text_unit_needs_a_label() -> None:
    """A free-text unit such as 'clienti' is shown next to every value."""
    assert values.unit("text", label="clienti").label == "clienti"
    with pytest.raises(InvalidUnitError) as err:
        values.unit("text")
    assert err.value.field == "unit_label"


def test_unknown_unit_kind_and_stray_currency_are_rejected() -> None:
    """Only the six unit kinds exist, and only money carries a currency."""
    with pytest.raises(InvalidUnitError) as err:
        values.unit("furlongs")
    assert err.value.field == "unit_kind"
    with pytest.raises(InvalidUnitError):
        values.unit("hours", "EUR")


def test_choice_rejects_unknown_values() -> None:
    """Enum input from the API is checked, not trusted."""
    with pytest.raises(InvalidValueError) as err:
        values.choice(values.KRKind, "sideways", "kind")
    assert (err.value.field, err.value.rule) == ("kind", "unknown_choice")


def test_business_date_rejects_datetimes() -> None:
    """A check-in is for a calendar day; a timestamp would silently shift by time zone."""
    assert values.business_date(date(2027, 1, 5), "on") == date(2027, 1, 5)
    with pytest.raises(InvalidDateError):
        values.business_date(datetime(2027, 1, 5, tzinfo=UTC), "on")


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2200, 1, 1), date.max])
def test_a_business_date_is_of_a_plausible_year(day: date) -> None:
    """1900 to 2199: a cycle ending 9999-12-31 was taken, and its first check-in failed."""
    assert values.business_date(date(1900, 1, 1), "on") == date(1900, 1, 1)
    assert values.business_date(date(2199, 12, 31), "on") == date(2199, 12, 31)
    with pytest.raises(InvalidDateError) as err:
        values.business_date(day, "ends_on")
    assert (err.value.field, err.value.rule) == ("ends_on", "out_of_range")


def test_every_error_is_a_domain_error_with_a_rule() -> None:
    """The API maps DomainError to problem+json in one place, using field and rule."""
    with pytest.raises(DomainError) as err:
        values.measured("x", "start")
    assert err.value.rule and err.value.field == "start" and str(err.value)


def test_unit_accepts_kind_as_text_and_rejects_unknown_kinds() -> None:
    """Units built from API strings behave like units built from the enum."""
    assert Unit("hours").kind is UnitKind.HOURS  # type: ignore[arg-type]  # text, as sent
    with pytest.raises(InvalidUnitError):
        Unit("furlongs")  # type: ignore[arg-type]  # text no kind has: the point


@pytest.mark.parametrize(
    ("make", "raw", "rule"),
    [
        (values.title, "Vendite\x1b[31m", "control_character"),  # a terminal's escape
        (values.title, "due\nrighe", "control_character"),  # a title is one line
        (values.title, "\u200b", "empty"),  # only a zero-width space
        (values.title, " \u200e\u00a0", "empty"),  # a direction mark and a no-break space
        (values.title, "\u3164\u2800", "empty"),  # a Hangul filler and a braille blank
        (values.title, "\u0301\ufe0f", "empty"),  # marks on nothing
        (values.note, "nota\x07", "control_character"),
        (values.reason, "motivo \u202egnissim", "control_character"),  # reads reversed
        (values.title, "Vendite \u2066Q1\u2069", "control_character"),  # an isolate
        (values.title, "due\u2028righe", "control_character"),  # Unicode's line separator
        (values.title, "due\u2029paragrafi", "control_character"),
    ],
)
def test_text_has_no_control_character_and_something_to_read(
    make: Callable[[object], str], raw: str, rule: str
) -> None:
    """Text shows on pages, in CSV and on operators' terminals: no control characters (a
    note's or a reason's line breaks and tabs aside), and not only invisible ones."""
    with pytest.raises(InvalidTitleError) as err:
        make(raw)
    assert err.value.rule == rule


def test_notes_and_reasons_keep_their_lines_and_a_reason_must_say_something() -> None:
    assert values.note("prima riga\nseconda\triga") == "prima riga\nseconda\triga"
    assert values.note("prima\u2028seconda\u2029terza") == "prima\nseconda\nterza"
    assert values.reason("perché:\n- il mercato") == "perché:\n- il mercato"
    with pytest.raises(ReasonRequiredError):
        values.reason("\u200b")


def test_a_line_break_counts_once_as_a_form_counts_it() -> None:
    """A browser sends a textarea's line breaks as CR LF: a note the form let through at
    2,000 characters was refused at 2,010."""
    typed = "x" * 1980 + "\ny" * 10  # 2,000 in the form
    assert values.note(typed.replace("\n", "\r\n")) == typed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.7", "0.7"),
        ("0E+99999999999", "0"),
        ("0E-99999999999", "0"),
        ("1E0", "1"),
        ("1e-999999999", "0"),  # rounded at 64 places, not refused
        ("1000000000000000000000000000000E-65", "1E-35"),  # 500
        ("0.50", "0.5"),
        ("-0.0", "0"),  # not "-0.0", answered so by the API
        ("-0", "0"),
    ],
)
def test_a_score_is_written_as_numeric_holds_it(raw: str, expected: str) -> None:
    """Any precision a computed score has (28 significant digits, some 50 places) stays;
    beyond 64 places it is rounded, and an absurd exponent is written so it can be stored;
    trailing zeros and a minus of zero are not kept."""
    assert str(values.score(raw)) == expected
    small = Decimal(1) / Decimal(3) * Decimal("1e-21")  # a clamp(p) of a small progress
    assert values.score(small) == small
    assert values.score(Decimal("1e-61") / 3) == Decimal("3.33E-62")  # a follow-on: rounded
